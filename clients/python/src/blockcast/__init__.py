"""blockcast: every event of a blockcast stream exactly once, in order, or an explicit signal."""

from .api_root import StreamState
from .backoff import Backoff
from .cursor import Cursor
from .leap import Emitted, Leap
from .position import Position
from .position_store import FilePositionStore, MemoryPositionStore, PositionStore
from .signals import BlockcastSignal, CannotConnect, HistoryGone, Refused, Reset
from .subscription import Event, StateChange, Subscription

__all__ = [
    "Backoff",
    "BlockcastSignal",
    "CannotConnect",
    "Cursor",
    "Emitted",
    "Event",
    "FilePositionStore",
    "HistoryGone",
    "Leap",
    "MemoryPositionStore",
    "Position",
    "PositionStore",
    "Refused",
    "Reset",
    "StateChange",
    "StreamState",
    "Subscription",
]
