"""The real stack for the SDK's tests: a redis-server of its own, ingest, two gateways sharing one
port (SO_REUSEPORT, as `npm run start:topology` runs them, so a client reconnecting after one dies
reaches the other) and discovery, each its own process, every one signalled by PID."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]
ENTRIES = {
    "ingest": "services/ingest/src/main.ts",
    "gateway": "services/gateway/src/main.ts",
    "discovery": "services/discovery/src/main.ts",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(condition: Any, timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


@dataclass
class Service:
    name: str
    env: dict[str, str]
    entry: str
    ready_url: str
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as output:
            self.process = subprocess.Popen(
                ["node", "--import", "tsx", self.entry],
                cwd=REPO_ROOT,
                env={**os.environ, **self.env},
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}"
                )
            return http_status(self.ready_url) == 200

        wait_until(ready, timeout, f"{self.name} ready at {self.ready_url}", 0.1)

    def signal(self, name: signal.Signals) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(name)

    def wait_exit(self, timeout: float = 30) -> int | None:
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@dataclass
class Stack:
    """Start with `Stack.start()`, stop with `stop()`. Blocks are posted by `post(height)`."""

    work: Path
    redis_port: int
    gateway_port: int
    token: str = field(default_factory=lambda: secrets.token_hex(24))
    prefix: str = field(default_factory=lambda: f"sdkpy-{secrets.token_hex(4)}:")
    redis: subprocess.Popen[bytes] | None = None
    ingest: Service | None = None
    gateways: list[Service] = field(default_factory=list)
    discovery: Service | None = None
    ingest_url: str = ""
    api_root: str = ""
    #: Transaction ids per height, as posted.
    chain: dict[int, list[str]] = field(default_factory=dict)
    #: The next height `post_next` commits.
    height: int = 1

    @classmethod
    def start(cls, *, gateways: int = 2, env: dict[str, str] | None = None) -> Stack:
        stack = cls(Path(tempfile.mkdtemp(prefix="blockcast-sdkpy-")), free_port(), free_port())
        try:
            stack._start(gateways, env or {})
        except BaseException:
            stack.stop()
            raise
        return stack

    def _start(self, gateway_count: int, env: dict[str, str]) -> None:
        self.start_redis()
        shared = {
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}",
            "BLOCKCAST_STREAM_PREFIX": self.prefix,
            "LOG_LEVEL": "warn",
            **env,
        }
        ingest_port, ingest_ops = free_port(), free_port()
        self.ingest_url = f"http://127.0.0.1:{ingest_port}"
        self.ingest = Service(
            "ingest",
            {
                **shared,
                "INGEST_HOST": "127.0.0.1",
                "INGEST_PORT": str(ingest_port),
                "INGEST_OPS_PORT": str(ingest_ops),
                "INGEST_TOKENS": self.token,
            },
            ENTRIES["ingest"],
            f"http://127.0.0.1:{ingest_ops}/readyz",
            self.work / "ingest.log",
        )
        for index in range(gateway_count):
            ops = free_port()
            self.gateways.append(
                Service(
                    f"gateway-{index + 1}",
                    {
                        **shared,
                        "GATEWAY_HOST": "127.0.0.1",
                        "GATEWAY_PORT": str(self.gateway_port),
                        "GATEWAY_OPS_PORT": str(ops),
                        "GATEWAY_DRAIN_DELAY_MS": "0",
                    },
                    ENTRIES["gateway"],
                    f"http://127.0.0.1:{ops}/readyz",
                    self.work / f"gateway-{index + 1}.log",
                )
            )
        discovery_port, discovery_ops = free_port(), free_port()
        self.api_root = f"http://127.0.0.1:{discovery_port}/api/v1/"
        self.discovery = Service(
            "discovery",
            {
                **shared,
                "DISCOVERY_HOST": "127.0.0.1",
                "DISCOVERY_PORT": str(discovery_port),
                "DISCOVERY_OPS_PORT": str(discovery_ops),
                "ADVERTISED_STREAMS_HOST": "127.0.0.1",
                "ADVERTISED_STREAMS_PORT": str(self.gateway_port),
            },
            ENTRIES["discovery"],
            f"http://127.0.0.1:{discovery_ops}/readyz",
            self.work / "discovery.log",
        )
        services = [self.ingest, *self.gateways, self.discovery]
        for service in services:
            service.start()
        for service in services:
            service.wait_ready()

    def start_redis(self) -> None:
        self.redis = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.work),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: _answers_ping(self.redis_port), 10, "redis-server answering PING")

    def restart_redis_empty(self) -> None:
        """SIGKILL to Redis and a fresh, empty one on the same port: the history is gone."""
        assert self.redis is not None
        self.redis.kill()
        self.redis.wait()
        self.start_redis()

    def kill_gateway(self, index: int) -> None:
        self.gateways[index].signal(signal.SIGKILL)
        self.gateways[index].wait_exit()

    def stop_gateway(self, index: int) -> int | None:
        """SIGTERM: the gateway drains its clients with 1001 and a position."""
        self.gateways[index].signal(signal.SIGTERM)
        return self.gateways[index].wait_exit()

    def start_gateway(self, index: int) -> None:
        self.gateways[index].start()
        self.gateways[index].wait_ready()

    def post(self, height: int, transactions: int = 2, *, chain: str = "") -> list[str]:
        """Commits block `height` with `transactions` CREATEs (ids derived from `chain` and the height)."""
        ids = [hashlib.sha3_256(f"{self.prefix}{chain}{height}/{i}".encode()).hexdigest() for i in range(transactions)]
        block = {
            "height": height,
            "hash": hashlib.sha256(f"{chain}{height}".encode()).hexdigest().upper(),
            "transactions": [
                {
                    "id": tx,
                    "operation": "CREATE",
                    "version": "2.0",
                    "asset": {"data": {"n": i}},
                    "outputs": [{"public_keys": [_PUBLIC_KEY]}],
                }
                for i, tx in enumerate(ids)
            ],
        }
        status, body = self.http("POST", "/api/v1/blocks", block)
        if status not in (200, 201):
            raise RuntimeError(f"ingest refused block {height}: {status} {body}")
        self.chain[height] = ids
        return ids

    def post_next(self, count: int = 1, transactions: int = 2) -> list[str]:
        """Commits the next `count` blocks; their transaction ids in order."""
        ids: list[str] = []
        for _ in range(count):
            ids += self.post(self.height, transactions)
            self.height += 1
        return ids

    def settle(self) -> None:
        """One more block, and the catalog naming it: a client started now begins after everything before."""
        self.post_next(1)
        head = self.height - 1
        wait_until(lambda: self.catalog().get("head_height") == head, 10, f"the catalog naming head {head}", 0.2)

    def serving_gateway(self, client_port: int) -> int:
        """Which gateway holds the connection from the client's local port (they share one port)."""
        listing = subprocess.run(
            ["ss", "-tnpH", "state", "established", f"( dport = :{client_port} )"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for index, gateway in enumerate(self.gateways):
            if gateway.process is not None and f"pid={gateway.process.pid}," in listing:
                return index
        raise LookupError(f"no gateway holds a connection from port {client_port}:\n{listing}")

    def redis_cli(self, *args: str) -> str:
        return subprocess.run(
            ["redis-cli", "-p", str(self.redis_port), *args], capture_output=True, text=True, check=True
        ).stdout

    def emit(self, event_type: str, content: Any) -> dict[str, Any]:
        status, body = self.http("POST", f"/api/v1/events/{event_type}", {"content": content})
        if status not in (200, 201):
            raise RuntimeError(f"ingest refused the {event_type} event: {status} {body}")
        return dict(body)

    def http(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"{self.ingest_url}{path}",
            data=json.dumps(body).encode(),
            method=method,
            headers={"content-type": "application/json", "authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status), json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return int(error.code), json.loads(error.read() or b"null")

    def catalog(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.api_root + "streams", timeout=5) as response:
            return dict(json.loads(response.read()))

    def stop(self) -> None:
        services = [s for s in [self.ingest, *self.gateways, self.discovery] if s is not None]
        for service in services:
            service.signal(signal.SIGCONT)
            service.signal(signal.SIGTERM)
        for service in services:
            service.wait_exit(10)
        if self.redis is not None and self.redis.poll() is None:
            self.redis.kill()
            self.redis.wait()
        shutil.rmtree(self.work, ignore_errors=True)


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


# A base58 ed25519 public key (32 bytes), as transactions' outputs carry.
_PUBLIC_KEY = "9qLvREC54mhKYivr88VpckyVWdAFmifJpGjbvV5AiTRs"
