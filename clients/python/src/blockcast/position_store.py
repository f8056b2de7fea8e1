"""Where a subscription keeps its cursor so that a restarted process resumes where it stopped.
A store is saved after every event the application handled, never before."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any, Protocol


class PositionStore(Protocol):
    async def load(self) -> dict[str, Any] | None:
        """The last saved cursor, or None when nothing was saved."""
        ...

    async def save(self, cursor: dict[str, Any]) -> None: ...

    async def clear(self) -> None:
        """Forgets the cursor, e.g. after a reset once the application has resynchronised."""
        ...


class MemoryPositionStore:
    """Keeps the cursor in this process: survives reconnects and new subscriptions, not a restart."""

    def __init__(self) -> None:
        self._cursor: dict[str, Any] | None = None

    async def load(self) -> dict[str, Any] | None:
        return self._cursor

    async def save(self, cursor: dict[str, Any]) -> None:
        self._cursor = cursor

    async def clear(self) -> None:
        self._cursor = None


class FilePositionStore:
    """One JSON file, replaced atomically (write aside, then rename), so a process killed at any
    instant leaves the previous cursor or the new one, never a torn file. `fsync=True` (default)
    also survives a power cut, at the cost of a disk flush per event."""

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.path = os.fspath(path)
        self._fsync = fsync

    async def load(self) -> dict[str, Any] | None:
        try:
            with open(self.path, encoding="utf-8") as file:
                text = file.read()
        except FileNotFoundError:
            return None
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"{self.path} holds no position (a JSON object was expected)")
        return data

    async def save(self, cursor: dict[str, Any]) -> None:
        write_atomically(self.path, json.dumps(cursor) + "\n", fsync=self._fsync)

    async def clear(self) -> None:
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass


def write_atomically(path: str, text: str, *, fsync: bool) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".position-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            if fsync:
                file.flush()
                os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.remove(temporary)
        except FileNotFoundError:
            pass
        raise
