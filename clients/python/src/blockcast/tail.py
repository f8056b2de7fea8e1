"""`python -m blockcast tail <stream>[?query] --api-root URL [--since P] [--epoch E]
[--position-file F | --output F]`: the SDK's reference consumer. stdout gets one line per frame,
exactly as the server sent it; state and errors go to stderr.

`--output F` appends the same lines to F and resumes from F's own last complete line (a partial
last line is cut), with the epoch kept beside it in `F.epoch`, so every event lands in F exactly
once even when tail itself is killed."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .cursor import Cursor, identify
from .position import Position
from .position_store import FilePositionStore, MemoryPositionStore, PositionStore, write_atomically
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
    tail.add_argument("stream", help="valid_transactions, valid_blocks, invalid_transactions, events or valid_tx, with ?parameters")
    tail.add_argument("--api-root", required=True, help="discovery's API root, e.g. http://localhost:9984/api/v1/")
    tail.add_argument("--since", help="start after this position (H or H-S)")
    tail.add_argument("--epoch", help="the epoch --since belongs to (default: the current one)")
    where = tail.add_mutually_exclusive_group()
    where.add_argument("--position-file", help="resume from, and rewrite atomically after each line, this file")
    where.add_argument("--output", help="append the lines to this file too and resume from its last complete line")
    tail.add_argument(
        "--give-up-after", type=float, default=60.0, help="seconds without a connection before exiting 2 (default 60)"
    )
    return tail


@dataclass
class OutputFile:
    """F and its epoch file; the cursor is rebuilt from F's lines, so F is the only record."""

    path: str
    stream: str

    @property
    def epoch_path(self) -> str:
        return f"{self.path}.epoch"

    def recover(self) -> dict[str, Any] | None:
        """The cursor after F's last complete line (a partial last line is cut off), or None for a new F."""
        try:
            with open(self.path, "rb") as file:
                data = file.read()
        except FileNotFoundError:
            return None
        complete = data[: data.rfind(b"\n") + 1]
        if len(complete) != len(data):
            with open(self.path, "r+b") as file:
                file.truncate(len(complete))
        try:
            with open(self.epoch_path, encoding="utf-8") as file:
                kept = json.load(file)
        except FileNotFoundError:
            if complete:
                raise UsageError(f"{self.path} has lines but no {self.epoch_path}: cannot tell which history they belong to")
            return None
        cursor = Cursor(epoch=kept.get("epoch"), since=_position(kept.get("since")))
        for line in complete.splitlines():
            cursor.advance(identify(self.stream, json.loads(line)))
        return cursor.to_json()

    def keep_epoch(self, cursor: Cursor) -> None:
        """Written before F's first line: the epoch, and where F started (valid_tx frames carry no height)."""
        write_atomically(
            self.epoch_path,
            json.dumps({"epoch": cursor.epoch, "since": None if cursor.since is None else str(cursor.since)}) + "\n",
            fsync=True,
        )


async def tail(arguments: argparse.Namespace) -> int:
    stream = arguments.stream.partition("?")[0]
    store: PositionStore | None = None
    output: OutputFile | None = None
    if arguments.position_file:
        store = FilePositionStore(arguments.position_file)
    elif arguments.output:
        output = OutputFile(arguments.output, stream)
        recovered = output.recover()
        store = MemoryPositionStore()
        if recovered is not None:
            await store.save(recovered)
    subscription = Subscription(
        arguments.api_root,
        arguments.stream,
        since=arguments.since,
        epoch=arguments.epoch,
        store=store,
        give_up_after=arguments.give_up_after,
        on_state=_report_state,
    )
    loop = asyncio.get_running_loop()
    for name in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(name, lambda: asyncio.ensure_future(subscription.close()))

    stdout = sys.stdout.buffer
    appended = open(output.path, "ab") if output is not None else None  # noqa: SIM115 - open for the whole run
    epoch_kept = output is not None and os.path.exists(output.epoch_path)
    try:
        async for event in subscription:
            line = event.raw.encode("utf-8") + b"\n"
            if appended is not None and output is not None:
                if not epoch_kept:
                    output.keep_epoch(subscription.cursor)
                    epoch_kept = True
                # One write per line: a kill leaves at most one partial line, cut on the next start.
                os.write(appended.fileno(), line)
            stdout.write(line)
            stdout.flush()
            await subscription.commit()
    except BlockcastSignal as signal_:
        _say(str(signal_))
        return _exit_code(signal_)
    finally:
        if appended is not None:
            appended.close()
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


def _position(value: Any) -> Position | None:
    return None if value is None else Position.parse(str(value))


def main(argv: Sequence[str]) -> int:
    try:
        arguments = parser().parse_args(argv)
        if arguments.since is not None:
            Position.parse(arguments.since)
    except (UsageError, ValueError) as error:
        _say(str(error))
        return ExitCode.USAGE
    try:
        return asyncio.run(tail(arguments))
    except UsageError as error:
        _say(str(error))
        return ExitCode.USAGE
