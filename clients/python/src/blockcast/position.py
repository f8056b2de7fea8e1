"""Positions on a stream: `H` (after block H and the generic events emitted after it) or `H-S`
(after generic event S of height H), ordered as the bus orders them."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_POSITION = re.compile(r"^(\d+)(?:-(\d+))?$")


@dataclass(frozen=True, slots=True)
class Position:
    height: int
    #: None: the whole of block `height` and every generic event emitted after it.
    seq: int | None = None

    @classmethod
    def parse(cls, text: str) -> Position:
        match = _POSITION.match(text.strip())
        if match is None:
            raise ValueError(f"{text!r} is not a position: write H or H-S (e.g. 12 or 12-3)")
        seq = match.group(2)
        # `H-0` is the server's spelling of `H`.
        return cls(int(match.group(1)), None if seq is None or int(seq) == 0 else int(seq))

    def __str__(self) -> str:
        return str(self.height) if self.seq is None else f"{self.height}-{self.seq}"

    def _key(self) -> tuple[int, float]:
        return (self.height, math.inf if self.seq is None else self.seq)

    def covers_block(self, height: int) -> bool:
        """Whether every frame of block `height` is at or before this position."""
        return height <= self.height

    def covers_generic(self, height: int, seq: int) -> bool:
        """Whether generic event `height-seq` is at or before this position."""
        return (height, seq) <= self._key()

    def __lt__(self, other: Position) -> bool:
        return self._key() < other._key()

    def __le__(self, other: Position) -> bool:
        return self._key() <= other._key()
