"""What the application must act on: raised by the iterator (and `run`) and passed to `on_signal`.
The subscription stops on each of them; nothing is ever skipped silently."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class BlockcastSignal(Exception):
    """Base of every signal; `str()` says what happened and what to do."""


@dataclass(eq=False)
class Reset(BlockcastSignal):
    """The stream's history changed (4011, or 409 EPOCH_MISMATCH): heights you hold belong to the
    old history. Resynchronise, then `reposition()` in the new `epoch`."""

    code: int
    reason: str
    epoch: str | None = None
    head: int | None = None

    def __str__(self) -> str:
        changed = f"new epoch {self.epoch}, head {self.head}"
        return f"reset ({self.code}): the stream's history changed, {changed}: {self.reason}"


@dataclass(eq=False)
class HistoryGone(BlockcastSignal):
    """The position to resume from left the retained history (4010, or 410): events after it and
    before `oldest` cannot be delivered. Resynchronise, then `reposition()` at `oldest - 1` or later."""

    code: int
    reason: str
    oldest: int | None = None
    epoch: str | None = None

    def __str__(self) -> str:
        return f"history gone ({self.code}): the oldest retained height is {self.oldest}: {self.reason}"


@dataclass(eq=False)
class Refused(BlockcastSignal):
    """The server refused the request permanently (400/401/403/404/426): retrying cannot help.
    `code` and `message` are the server's JSON error; fix the parameters, token or origin."""

    status: int
    code: str
    message: str
    body: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"refused ({self.status} {self.code}): {self.message}"


@dataclass(eq=False)
class CannotConnect(BlockcastSignal):
    """The first connection could not be opened within `connect_deadline` seconds (only when set)."""

    seconds: float
    last_error: str

    def __str__(self) -> str:
        return f"cannot connect for {self.seconds:.0f} s: {self.last_error}"
