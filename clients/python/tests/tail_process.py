"""`python -m blockcast tail` as a child process, killed and restarted by PID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


def run_tail(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "blockcast", "tail", *args], capture_output=True, text=True, timeout=timeout
    )


class TailProcess:
    def __init__(self, *args: str, stdout: Path, stderr: Path) -> None:
        self._stdout = open(stdout, "ab")  # noqa: SIM115 - closed in wait()
        self._stderr = open(stderr, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "blockcast", "tail", *args], stdout=self._stdout, stderr=self._stderr
        )

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.wait()

    def terminate(self) -> int:
        os.kill(self.process.pid, signal.SIGTERM)
        return self.wait()

    def wait(self, timeout: float = 30) -> int:
        try:
            return self.process.wait(timeout)
        finally:
            self._stdout.close()
            self._stderr.close()
