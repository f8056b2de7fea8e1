"""The Python side of test/conformance/stack-control.ts's JSON-lines protocol (its README): the
controller as a child process, sent one command at a time, each answered in order."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

from stack import REPO_ROOT

CONTROLLER = "test/conformance/stack-control.ts"


class StackControlError(RuntimeError):
    pass


class StackControl:
    def __init__(self, process: asyncio.subprocess.Process, stderr: Path) -> None:
        self._process = process
        self._stderr = stderr
        self._next_id = 1
        self._lock = asyncio.Lock()

    @classmethod
    async def spawn(cls) -> StackControl:
        stderr = Path(tempfile.mkstemp(prefix="blockcast-stack-control-", suffix=".log")[1])
        with open(stderr, "wb") as log:
            process = await asyncio.create_subprocess_exec(
                "node",
                "--import",
                "tsx",
                CONTROLLER,
                cwd=REPO_ROOT,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                limit=2**26,  # `log` answers carry whole histories on one line
            )
        return cls(process, stderr)

    async def send(self, command: dict[str, Any], timeout: float = 180) -> dict[str, Any]:
        async with self._lock:
            assert self._process.stdin is not None and self._process.stdout is not None
            request_id = self._next_id
            self._next_id += 1
            self._process.stdin.write((json.dumps({**command, "id": request_id}) + "\n").encode())
            await self._process.stdin.drain()
            line = await asyncio.wait_for(self._process.stdout.readline(), timeout)
            if not line:
                raise StackControlError(f"stack-control exited before answering {command}:\n{self.stderr_tail()}")
            answer = json.loads(line)
            if answer.get("id") != request_id:
                raise StackControlError(f"stack-control answered {answer.get('id')} to request {request_id}")
            if not answer.get("ok"):
                raise StackControlError(f"stack-control: {answer.get('error')} (command {command})")
            return dict(answer)

    async def log(self, stream: str, query: str) -> list[dict[str, Any]]:
        return list((await self.send({"cmd": "log", "stream": stream, "query": query}))["histories"])

    def stderr_tail(self) -> str:
        return self._stderr.read_text(errors="replace")[-4000:]

    async def stop(self) -> None:
        if self._process.returncode is None:
            try:
                await self.send({"cmd": "stop"}, timeout=60)
            except (StackControlError, TimeoutError, ConnectionError):
                pass
            if self._process.stdin is not None:
                self._process.stdin.close()
            try:
                await asyncio.wait_for(self._process.wait(), 30)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
        self._stderr.unlink(missing_ok=True)
