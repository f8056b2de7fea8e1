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
    #: The frame's key (as the TypeScript SDK writes it): the transaction id, the event type,
    #: `H-S` for a generic event, the height on `valid_blocks`.
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
            return FrameIdentity(height, int(seq), f"{height}-{seq}")
        return FrameIdentity(height, None, str(frame["type"]))
    if stream == "valid_blocks":
        return FrameIdentity(height, None, str(height))
    return FrameIdentity(height, None, str(frame["transaction_id"]))


@dataclass(slots=True)
class Cursor:
    """Its JSON form, `{"epoch", "since", "delivered"}`, is the TypeScript SDK's resume point:
    either SDK (and either `tail`) continues from the other's position file."""

    epoch: str | None = None
    #: Everything up to and including this position was delivered; None: nothing known yet.
    since: Position | None = None
    #: Keys of the frames delivered after `since`, in delivery order: the frames of block
    #: `since + 1` so far, or on `valid_tx` every frame since `since`.
    seen: dict[str, None] = field(default_factory=dict)
    #: `valid_tx`: a replay from `since` can start with frames older than the first one delivered
    #: (a live start's `since` is the catalog's head, which can lag), so it drops frames until
    #: it meets that first one.
    _skipping: bool = False

    @property
    def _seen_height(self) -> int | None:
        return None if self.since is None or self.since.seq is not None else self.since.height + 1

    def begin_replay(self) -> None:
        """A connection is about to replay from `since`."""
        self._skipping = bool(self.seen)

    def is_duplicate(self, frame: FrameIdentity) -> bool:
        if frame.height is None:
            if self._skipping:
                self._skipping = frame.key != next(iter(self.seen))
                return True
            return frame.key in self.seen
        if self.since is not None:
            if frame.seq is not None:
                return self.since.covers_generic(frame.height, frame.seq)
            if self.since.covers_block(frame.height):
                return True
        return frame.seq is None and frame.height == self._seen_height and frame.key in self.seen

    def advance(self, frame: FrameIdentity) -> None:
        """Records a frame the application has handled."""
        if frame.height is None:
            self.seen[frame.key] = None
            return
        if frame.seq is not None:
            # A generic event sits after every frame of its block: the position is exact.
            self.since = Position(frame.height, frame.seq)
            self.seen.clear()
            return
        if frame.height != self._seen_height:
            # The first frame of block H: every block before it (and its generic events) was delivered.
            self.since = Position(frame.height - 1)
            self.seen.clear()
        self.seen[frame.key] = None

    def resume_at(self, since: Position, epoch: str | None) -> None:
        """A close frame named the exact position: nothing after it was received."""
        self.since = since
        if epoch is not None:
            self.epoch = epoch
        self.seen.clear()
        self._skipping = False

    def to_json(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "since": None if self.since is None else str(self.since),
            "delivered": list(self.seen),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Cursor:
        since = data.get("since")
        delivered = data.get("delivered") or []
        if not isinstance(delivered, list) or not all(isinstance(key, str) for key in delivered):
            raise ValueError("a position's delivered must be a list of frame keys")
        return cls(
            epoch=data.get("epoch"),
            since=None if since is None else Position.parse(str(since)),
            seen=dict.fromkeys(delivered),
        )
