"""Where a subscription stands: the last position it holds completely, plus the frames it already
delivered after it. Resuming from `since` and dropping what `seen` names is the protocol's rule
after a cut without a close frame (last height − 1, drop what you have), kept exactly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .position import Position

LEGACY_STREAM = "valid_tx"


@dataclass(frozen=True, slots=True)
class FrameIdentity:
    """What tells one frame from another on its stream (docs/protocol.md, the resume rule)."""

    #: None on `valid_tx`, whose frames carry no height.
    height: int | None
    #: Set on a generic event of `events`: it is one frame, its position is exact.
    seq: int | None
    #: Within its height: the transaction id, the event type, or "" on `valid_blocks`.
    key: str

    @property
    def position(self) -> Position | None:
        if self.height is None:
            return None
        return Position(self.height, self.seq)


def identify(stream: str, frame: dict[str, Any]) -> FrameIdentity:
    """The identity of a frame of `stream`; raises KeyError/TypeError on a frame of another shape."""
    if stream == LEGACY_STREAM:
        return FrameIdentity(None, None, str(frame["txid"]))
    height = int(frame["height"])
    if stream == "events":
        seq = frame.get("seq")
        if seq is not None:
            return FrameIdentity(height, int(seq), "")
        return FrameIdentity(height, None, str(frame["type"]))
    if stream == "valid_blocks":
        return FrameIdentity(height, None, "")
    return FrameIdentity(height, None, str(frame["transaction_id"]))


@dataclass(slots=True)
class Cursor:
    epoch: str | None = None
    #: Everything up to and including this position was delivered; None: nothing known yet.
    since: Position | None = None
    #: The height whose frames `seen` lists (None on `valid_tx`: every frame since `since`).
    seen_height: int | None = None
    seen: set[str] = field(default_factory=set)
    #: `valid_tx`: the first frame delivered after `since`. A replay from `since` may start with
    #: frames older than it (a live start's `since` is the catalog's head, which can lag), so a
    #: replay drops frames until it meets the anchor.
    anchor: str | None = None
    _skipping: bool = False

    def begin_replay(self) -> None:
        """A connection is about to replay from `since`."""
        self._skipping = self.anchor is not None

    def is_duplicate(self, frame: FrameIdentity) -> bool:
        if frame.height is None:
            if self._skipping:
                self._skipping = frame.key != self.anchor
                return True
            return frame.key in self.seen
        if self.since is not None:
            if frame.seq is not None and self.since.covers_generic(frame.height, frame.seq):
                return True
            if frame.seq is None and self.since.covers_block(frame.height):
                return True
        return frame.seq is None and frame.height == self.seen_height and frame.key in self.seen

    def advance(self, frame: FrameIdentity) -> None:
        """Records a frame the application has handled."""
        if frame.height is None:
            if self.anchor is None:
                self.anchor = frame.key
            self.seen.add(frame.key)
            return
        if frame.seq is not None:
            # A generic event sits after every frame of its block: the position is exact.
            self.since = Position(frame.height, frame.seq)
            self.seen.clear()
            self.seen_height = None
            return
        # A frame of block H means every block before H (and their generic events) was delivered.
        previous = Position(frame.height - 1)
        if self.since is None or self.since < previous:
            self.since = previous
        if self.seen_height != frame.height:
            self.seen.clear()
            self.seen_height = frame.height
        self.seen.add(frame.key)

    def resume_at(self, since: Position, epoch: str | None) -> None:
        """A close frame named the exact position: nothing after it was received."""
        self.since = since
        if epoch is not None:
            self.epoch = epoch
        self.seen.clear()
        self.seen_height = None
        self.anchor = None

    def to_json(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "since": None if self.since is None else str(self.since),
            "seen_height": self.seen_height,
            "seen": sorted(self.seen),
            "anchor": self.anchor,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Cursor:
        since = data.get("since")
        return cls(
            epoch=data.get("epoch"),
            since=None if since is None else Position.parse(str(since)),
            seen_height=data.get("seen_height"),
            seen=set(data.get("seen") or []),
            anchor=data.get("anchor"),
        )
