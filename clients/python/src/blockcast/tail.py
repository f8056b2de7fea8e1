"""`python -m blockcast tail <stream>[?query] --api-root URL [--since P] [--epoch E]
[--position-file F | --output F]`: the SDK's reference consumer. stdout gets one line per frame,
exactly as the server sent it; state and errors go to stderr.

`--output F` appends the same lines to F and resumes from F's own last complete line (a partial
last line is cut), with the epoch kept beside it in `F.position`, so every event lands in F
exactly once even when tail itself is killed."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any, BinaryIO

from .cursor import Cursor, identify
from .position import Position
from .position_store import FilePositionStore, PositionStore, write_atomically
from .signals import BlockcastSignal, CannotConnect, HistoryGone, Refused, Reset
from .subscription import StateChange, Subscription


class ExitCode:
    DONE = 0
    USAGE = 1
    CANNOT_CONNECT = 2
    HISTORY_GONE = 3
    EPOCH_CHANGED = 4
    NOT_AUTHORISED = 5
    PARAMETER_REFUSED = 6


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse exits with 2, which means "cannot connect" here
        raise UsageError(message)


def parser() -> argparse.ArgumentParser:
    tail = _Parser(prog="python -m blockcast tail", description="Print every frame of a blockcast stream exactly once.")
    tail.add_argument(
        "stream", help="valid_transactions, valid_blocks, invalid_transactions, events or valid_tx, with ?parameters"
    )
    tail.add_argument("--api-root", required=True, help="discovery's API root, e.g. http://localhost:9984/api/v1/")
    tail.add_argument("--since", help="start after this position (H or H-S)")
    tail.add_argument("--epoch", help="the epoch --since belongs to (default: the current one)")
    where = tail.add_mutually_exclusive_group()
    where.add_argument("--position-file", help="resume from, and rewrite atomically after each line, this file")
    where.add_argument("--output", help="append the lines to this file too and resume from its last complete line")
    tail.add_argument("--token", help="a JWT for private streams (sent as Authorization: Bearer)")
    tail.add_argument(
        "--connect-deadline",
        type=float,
        default=30.0,
        help="seconds the first connection may take before exiting 2 (default 30); later cuts are retried forever",
    )
    return tail


class OutputFile:
    """`--output F`: the frames appended to F, one line each, and beside it `F.position` (the
    TypeScript tail's format: the epoch, the resume point and how many bytes of F it covers),
    replaced atomically after every line. A restart cuts a partial last line and replays the whole
    lines written after the saved point (the process died between the two writes), so it resumes
    exactly after F's last line, in F's epoch."""

    def __init__(self, path: str, stream: str) -> None:
        self.path = path
        self.sidecar = f"{path}.position"
        self._stream = stream
        self._bytes = 0
        self._file: BinaryIO | None = None
        #: Whether F.position exists: F's first line must never be written before its epoch is.
        self.saved = False

    def recover(self) -> dict[str, Any] | None:
        """The cursor after F's last complete line, or None for a new F."""
        try:
            with open(self.path, "rb") as file:
                data = file.read()
        except FileNotFoundError:
            data = b""
        complete = data[: data.rfind(b"\n") + 1]
        if len(complete) != len(data):
            with open(self.path, "r+b") as file:
                file.truncate(len(complete))
        self._bytes = len(complete)
        try:
            with open(self.sidecar, encoding="utf-8") as file:
                saved = json.load(file)
            cursor = Cursor.from_json(saved)
            covered = saved["bytes"]
            if not isinstance(covered, int):
                raise ValueError("bytes must be an integer")
            self.saved = True
        except FileNotFoundError:
            if complete:
                raise UsageError(
                    f"{self.path} has lines but no {self.sidecar}: which history they belong to is unknown"
                ) from None
            return None
        except (ValueError, KeyError, TypeError) as error:
            raise UsageError(f"{self.sidecar} is not a position file: {error}") from None
        for line in complete[covered:].splitlines():
            identity = identify(self._stream, json.loads(line))
            if not cursor.is_duplicate(identity):
                cursor.advance(identity)
        return cursor.to_json()

    def append(self, line: bytes) -> None:
        """One write per line: a kill leaves at most one partial line, cut on the next start."""
        if self._file is None:
            self._file = open(self.path, "ab")  # noqa: SIM115 - kept open for the whole run
        os.write(self._file.fileno(), line)
        self._bytes += len(line)

    def save(self, cursor: dict[str, Any]) -> None:
        write_atomically(self.sidecar, json.dumps({**cursor, "bytes": self._bytes}), fsync=False)
        self.saved = True

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


class _OutputStore:
    """The subscription's position store in `--output` mode: F's sidecar."""

    def __init__(self, output: OutputFile, recovered: dict[str, Any] | None) -> None:
        self._output = output
        self._cursor = recovered

    async def load(self) -> dict[str, Any] | None:
        return self._cursor

    async def save(self, cursor: dict[str, Any]) -> None:
        self._cursor = cursor
        self._output.save(cursor)

    async def clear(self) -> None:
        self._cursor = None


async def tail(arguments: argparse.Namespace) -> int:
    stream = arguments.stream.partition("?")[0]
    store: PositionStore | None = None
    output: OutputFile | None = None
    if arguments.position_file:
        store = FilePositionStore(arguments.position_file)
    elif arguments.output:
        output = OutputFile(arguments.output, stream)
        store = _OutputStore(output, output.recover())
    subscription = Subscription(
        arguments.api_root,
        arguments.stream,
        since=arguments.since,
        epoch=arguments.epoch,
        store=store,
        token=arguments.token,
        connect_deadline=arguments.connect_deadline,
        on_state=_report_state,
    )
    loop = asyncio.get_running_loop()
    for name in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(name, lambda: asyncio.ensure_future(subscription.close()))

    stdout = sys.stdout.buffer
    try:
        async for event in subscription:
            line = event.raw.encode("utf-8") + b"\n"
            if output is not None:
                if not output.saved:
                    output.save(subscription.cursor.to_json())
                output.append(line)
            stdout.write(line)
            stdout.flush()
            await subscription.commit()
    except BlockcastSignal as signal_:
        _say(str(signal_))
        return _exit_code(signal_)
    finally:
        if output is not None:
            output.close()
        await subscription.close()
    return ExitCode.DONE


def _exit_code(signal_: BlockcastSignal) -> int:
    if isinstance(signal_, Reset):
        return ExitCode.EPOCH_CHANGED
    if isinstance(signal_, HistoryGone):
        return ExitCode.HISTORY_GONE
    if isinstance(signal_, CannotConnect):
        return ExitCode.CANNOT_CONNECT
    if isinstance(signal_, Refused) and signal_.status in (401, 403):
        return ExitCode.NOT_AUTHORISED
    if isinstance(signal_, Refused) and signal_.code == "NOT_AN_API_ROOT":
        return ExitCode.CANNOT_CONNECT
    return ExitCode.PARAMETER_REFUSED


def _report_state(change: StateChange) -> None:
    detail = f" {change.code}" if change.code is not None else ""
    detail += f" {change.reason}" if change.reason else ""
    detail += f"; retrying in {change.retry_in:.1f} s" if change.retry_in is not None else ""
    _say(f"{change.state}{detail}")


def _say(text: str) -> None:
    sys.stderr.write(f"blockcast tail: {text}\n")
    sys.stderr.flush()


def main(argv: Sequence[str]) -> int:
    try:
        arguments = parser().parse_args(argv)
        if arguments.since is not None:
            Position.parse(arguments.since)
            if arguments.epoch is None:
                raise UsageError(
                    "--since needs --epoch: a height names a block only within its history (the catalog's epoch)"
                )
    except (UsageError, ValueError) as error:
        _say(str(error))
        return ExitCode.USAGE
    try:
        return asyncio.run(tail(arguments))
    except UsageError as error:
        _say(str(error))
        return ExitCode.USAGE
