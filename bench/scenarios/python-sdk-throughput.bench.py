"""The Python SDK's frames/s on one core, against a bare `websockets` client in the same run.

A sender process (a stand-in gateway: the API root, the catalog and a stream that writes
pre-encoded valid_transactions frames as fast as the socket takes them) feeds a client process
pinned to one core. The client reads N frames with a bare `websockets` loop (recv + json.loads),
then with `blockcast.Subscription` (async for + commit), and reports frames per second of wall
time and of its own CPU time.

    clients/python/.venv/bin/python bench/scenarios/python-sdk-throughput.bench.py [--frames 200000] [--core 0]
"""

from __future__ import annotations

import argparse
import asyncio
import http
import json
import multiprocessing
import os
import socket
import sys
import time
from typing import Any

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.http11 import Response

FRAMES_PER_BLOCK = 3


def frame(index: int) -> str:
    tx = f"{index:064x}"
    return json.dumps({"height": 1 + index // FRAMES_PER_BLOCK, "asset_id": tx, "transaction_id": tx})


def sender(port: int, frames: int, ready: Any) -> None:
    texts = [frame(i) for i in range(frames)]
    root = json.dumps({"streams": f"ws://127.0.0.1:{port}/api/v1/streams/valid_transactions"}).encode()
    catalog = json.dumps({"epoch": "bench", "head_height": 0, "oldest_height": 1}).encode()

    def http_answer(connection: Any, request: Any) -> Response | None:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return None
        body = catalog if request.path.rstrip("/").endswith("/streams") else root
        headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return Response(http.HTTPStatus.OK, "OK", headers, body)

    async def stream(ws: Any) -> None:
        for text in texts:
            await ws.send(text)
        await ws.wait_closed()

    async def main() -> None:
        async with serve(stream, "127.0.0.1", port, process_request=http_answer, compression=None, ping_interval=None):
            ready.set()
            await asyncio.Future()

    asyncio.run(main())


async def bare(port: int, frames: int) -> int:
    count = 0
    async with connect(
        f"ws://127.0.0.1:{port}/api/v1/streams/valid_transactions", compression=None, ping_interval=None
    ) as ws:
        while count < frames:
            json.loads(await ws.recv())
            count += 1
    return count


async def sdk(port: int, frames: int) -> int:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "clients", "python", "src"))
    from blockcast import Subscription

    count = 0
    async with Subscription(f"http://127.0.0.1:{port}/api/v1/", "valid_transactions") as events:
        async for _event in events:
            count += 1
            if count == frames:
                break
    return count


def measure(name: str, run: Any, port: int, frames: int) -> dict[str, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    count = asyncio.run(run(port, frames))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "client": name,
        "frames": count,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "frames_per_s": round(count / wall),
        "frames_per_cpu_s": round(count / cpu),
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=200_000)
    parser.add_argument("--core", type=int, default=0)
    arguments = parser.parse_args()
    results = []
    for name, run in (("bare websockets", bare), ("blockcast SDK", sdk)):
        port = free_port()
        ready = multiprocessing.Event()
        server = multiprocessing.Process(target=sender, args=(port, arguments.frames, ready), daemon=True)
        server.start()
        ready.wait(60)
        os.sched_setaffinity(0, {arguments.core})
        try:
            results.append(measure(name, run, port, arguments.frames))
        finally:
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
            server.terminate()
            server.join()
    for result in results:
        print(json.dumps(result))
    print(
        json.dumps(
            {"sdk_cpu_per_frame_vs_bare": round(results[0]["frames_per_cpu_s"] / results[1]["frames_per_cpu_s"], 2)}
        )
    )


if __name__ == "__main__":
    main()
