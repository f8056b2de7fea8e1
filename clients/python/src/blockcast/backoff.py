"""Reconnect delays: exponential with full jitter and a cap, so clients cut together do not come
back together ("Exponential Backoff And Jitter", AWS Architecture Blog)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    #: The first delay's upper bound, seconds.
    base: float = 0.25
    #: No delay is longer than this, seconds.
    cap: float = 30.0
    random: random.Random = field(default_factory=random.Random, repr=False)
    attempt: int = 0

    def next_delay(self) -> float:
        """A delay drawn uniformly from [0, min(cap, base · 2^attempt)]; the attempt counts up."""
        bound = min(self.cap, self.base * (2 ** min(self.attempt, 32)))
        self.attempt += 1
        return self.random.uniform(0, bound)

    def reset(self) -> None:
        """After a connection that worked: the next failure starts from `base` again."""
        self.attempt = 0


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` in seconds (the delay form; an HTTP date is not sent by blockcast)."""
    if value is None:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return None
