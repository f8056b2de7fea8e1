"""Planetmint 2.5.3's own WebSocket server, started and fed as the node starts and feeds it.

The node (planetmint/start.py, start_abci_server) runs three processes: its core
(ApplicationLogic), which on every commit puts Event(BLOCK_VALID, {"height", "hash",
"transactions": [Transaction objects]}) on the Exchange's publisher queue; the Exchange, which
copies each event to the subscriber queue made for BLOCK_VALID; and planetmint_ws, which runs
planetmint.web.websocket_server.start(that queue). This shim is the core's side of that: the
same Exchange and the same server (websocket_server.start's two calls, init_app and run_app, plus
a startup hook that reports on stderr when one of its tasks ends) in their own processes, with
the events built from blocks read on stdin instead of from CometBFT.

stdin: one block a line, {"height": H, "transactions": [tx dicts]} and optionally "hash"; without
one the hash is the node's app hash (end_block: SHA3-256 of the previous one and the ids).
stdout: {"event": "listening", "pid": <planetmint_ws pid>, "url": "<valid_transactions URL>"}
once the server has bound its port, then {"event": "published", "height": H} for each
block once its Event is on the publisher queue, or {"event": "rejected", "line": N, "error":
"..."} for a line it could not turn into an Event (nothing of that line is published).
End of stdin stops the Exchange with the POISON_PILL and the server with SIGTERM.

Transactions are turned into the Planetmint 3.0 shape its Transaction class accepts (see
planetmint_shape below) and then into Transaction objects, as deliver_tx does.
"""

import argparse
import base64
import hashlib
import json
import multiprocessing
import os
import signal
import sys
import time

# websocket_server calls aiohttp.web.* after `import aiohttp` alone, which aiohttp 3.9.5 does not bind.
import aiohttp.web  # noqa: F401
from ipld import marshal, multihash
from planetmint.config import Config
from planetmint.ipc.events import POISON_PILL, Event, EventTypes
from planetmint.ipc.exchange import Exchange
from planetmint.web import websocket_server
from planetmint_cryptoconditions import Fulfillment
from transactions import Transaction

LISTEN_DEADLINE_SECONDS = 15
STOP_DEADLINE_SECONDS = 5


def cid(value):
    """Planetmint 3.0 stores asset data and metadata as the IPLD CID of their JSON, as its driver does."""
    return value if value is None or isinstance(value, str) else multihash(marshal(value))


def signing_details(owners_before):
    """An unsigned fulfillment for the input's owners: the generator's fulfillments are random bytes."""
    keys = [{"type": "ed25519-sha-256", "public_key": key} for key in owners_before]
    if len(keys) == 1:
        return keys[0]
    return {"type": "threshold-sha-256", "threshold": len(keys), "subconditions": keys}


# DER tags of the cryptocondition types (preimage … ed25519): a cheap look before pyasn1 tries.
FULFILLMENT_TAGS = range(0xA0, 0xA5)


def parses_as_fulfillment(uri):
    """A real fulfillment URI; a failed pyasn1 parse costs ~1.5 ms, so random bytes are turned away first."""
    try:
        if base64.urlsafe_b64decode(uri[:4] + "==")[0] not in FULFILLMENT_TAGS:
            return False
        Fulfillment.from_uri(uri)
        return True
    except Exception:
        return False


def planetmint_shape(tx):
    """A BigchainDB 2.0 or Planetmint 3.0 transaction dict in the shape Planetmint 2.5.3 builds Transactions from.

    2.0 has `asset` (one object); 3.0 has `assets` (a list) and CID strings for data and metadata.
    The id is kept: frames carry it, and the server never recomputes it.
    """
    assets = tx["assets"] if "assets" in tx else tx.get("asset")
    if isinstance(assets, dict):
        assets = [assets]
    if assets is not None:
        assets = [{**asset, "data": cid(asset["data"])} if "data" in asset else asset for asset in assets]
    inputs = [
        input_
        if isinstance(input_["fulfillment"], str) and parses_as_fulfillment(input_["fulfillment"])
        else {**input_, "fulfillment": signing_details(input_["owners_before"])}
        for input_ in tx["inputs"]
    ]
    return {
        "id": tx["id"],
        "version": "3.0",
        "operation": tx["operation"],
        "assets": assets,
        "inputs": inputs,
        "outputs": tx["outputs"],
        "metadata": cid(tx.get("metadata")),
    }


def sha3_hex(parts):
    return hashlib.sha3_256("".join(parts).encode("utf8")).hexdigest() if parts else ""


class AppHash:
    """The hash the node puts in its events: SHA3-256 over the previous one and the block's transaction ids."""

    def __init__(self):
        self._value = ""

    def next(self, transaction_ids):
        if transaction_ids:
            self._value = sha3_hex([self._value, sha3_hex(transaction_ids)])
        return self._value


def block_event(block, app_hash):
    transactions = [Transaction.from_dict(planetmint_shape(tx)) for tx in block["transactions"]]
    block_hash = block.get("hash") or app_hash.next([tx.id for tx in transactions])
    return Event(EventTypes.BLOCK_VALID, {"height": block["height"], "hash": block_hash, "transactions": transactions})


async def report_task_ends(app):
    """Says on stderr when one of the server's tasks ends: nothing in 2.5.3 restarts or logs them."""

    def ended(task):
        how = "cancelled" if task.cancelled() else repr(task.exception())
        print(f"planetmint_ws: task {task.get_name()} ended: {how}", file=sys.stderr, flush=True)

    for key in ("task1", "task2", "task3"):
        app[key].add_done_callback(ended)


def serve(subscriber_queue, listening):
    # aiohttp's run_app prints its banner to stdout, which is this shim's protocol channel.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    # websocket_server.start(queue) is these two calls; the startup hook and `print` only watch.
    app = websocket_server.init_app(subscriber_queue)
    app.on_startup.append(report_task_ends)
    config = Config().get()["wsserver"]
    # run_app prints its banner once its sites are bound: that is the moment it listens (a TCP
    # probe could reach another process that holds the port).
    def bound(banner):
        print(banner, file=sys.stderr, flush=True)
        listening.set()

    aiohttp.web.run_app(app, host=config["host"], port=config["port"], print=bound)


def report(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def wait_until_listening(host, port, server, listening):
    deadline = time.monotonic() + LISTEN_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if listening.wait(0.05):
            return
        if not server.is_alive():
            raise SystemExit(f"planetmint_ws exited with {server.exitcode} before listening on {host}:{port}")
    raise SystemExit(f"planetmint_ws did not listen on {host}:{port} within {LISTEN_DEADLINE_SECONDS} s")


def stop(exchange, exchange_process, server):
    exchange.get_publisher_queue().put(POISON_PILL)
    if server.is_alive():
        os.kill(server.pid, signal.SIGTERM)
    for process in (server, exchange_process):
        process.join(STOP_DEADLINE_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()


def leave_server_cpus():
    """This process plays the node's core, which no server in the comparison is charged for: off the server's CPUs."""
    others = set(range(os.cpu_count() or 1)) - os.sched_getaffinity(0)
    if others:
        os.sched_setaffinity(0, others)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    # The node reads these from its config file; the forked processes inherit the singleton.
    config = Config().get()
    config["wsserver"]["host"] = args.host
    config["wsserver"]["port"] = args.port

    exchange = Exchange()
    listening = multiprocessing.Event()
    server = multiprocessing.Process(
        name="planetmint_ws",
        target=serve,
        daemon=True,
        args=(exchange.get_subscriber_queue(EventTypes.BLOCK_VALID), listening),
    )
    server.start()
    exchange_process = multiprocessing.Process(name="planetmint_exchange", target=exchange.run, daemon=True)
    exchange_process.start()
    publisher_queue = exchange.get_publisher_queue()
    leave_server_cpus()

    try:
        wait_until_listening(args.host, args.port, server, listening)
        url = f"ws://{args.host}:{args.port}{websocket_server.EVENTS_ENDPOINT}"
        report({"event": "listening", "pid": server.pid, "url": url})
        app_hash = AppHash()
        for number, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            try:
                block = json.loads(line)
                event = block_event(block, app_hash)
            except Exception as error:
                report({"event": "rejected", "line": number, "error": f"{type(error).__name__}: {error}"})
                continue
            publisher_queue.put(event)
            report({"event": "published", "height": block["height"]})
    finally:
        stop(exchange, exchange_process, server)


if __name__ == "__main__":
    main()
