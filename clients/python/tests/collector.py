"""Runs a subscription in a task and keeps what the application saw: events, state changes and
the signal that ended it; tests wait on these, never on the clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from blockcast import BlockcastSignal, Event, StateChange, Subscription


class Crash(Exception):
    """Raised by a handler: the application died while handling an event (it stays unhandled)."""


@dataclass
class Collector:
    subscription: Subscription
    events: list[Event] = field(default_factory=list)
    states: list[StateChange] = field(default_factory=list)
    signal: BlockcastSignal | None = None
    #: Called for each event before it counts as handled (e.g. to sleep like a slow application).
    handler: Callable[[Event], object] | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _task: asyncio.Task[None] | None = None

    @classmethod
    def start(cls, subscription: Subscription, handler: Callable[[Event], object] | None = None) -> Collector:
        collector = cls(subscription, handler=handler)
        previous = subscription._on_state

        def on_state(change: StateChange) -> None:
            collector.states.append(change)
            if previous is not None:
                previous(change)
            asyncio.ensure_future(collector._notify())

        subscription._on_state = on_state
        collector._task = asyncio.ensure_future(collector._run())
        return collector

    async def _run(self) -> None:
        try:
            async for event in self.subscription:
                if self.handler is not None:
                    result = self.handler(event)
                    if asyncio.iscoroutine(result):
                        await result
                self.events.append(event)
                await self._notify()
        except BlockcastSignal as signal:
            self.signal = signal
        except Crash:
            pass
        finally:
            await self._notify()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def until(self, condition: Callable[[], bool], timeout: float = 60.0) -> None:
        async def wait() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: condition() or self._ended())

        await asyncio.wait_for(wait(), timeout)
        if not condition():
            raise AssertionError(f"the subscription ended first: {self.signal!r}; {len(self.events)} events")

    async def count(self, n: int, timeout: float = 60.0) -> None:
        await self.until(lambda: len(self.events) >= n, timeout)

    async def connected(self, timeout: float = 60.0) -> None:
        await self.until(lambda: self.subscription.state == "connected", timeout)

    async def ended(self, timeout: float = 60.0) -> None:
        await self.until(lambda: self._ended(), timeout)

    def _ended(self) -> bool:
        return self._task is not None and (self._task.done() or self.signal is not None)

    async def stop(self) -> None:
        await self.subscription.close()
        if self._task is not None:
            await asyncio.wait_for(self._task, 10)

    def ids(self) -> list[str]:
        return [str(event.frame.get("transaction_id", event.frame.get("txid"))) for event in self.events]
