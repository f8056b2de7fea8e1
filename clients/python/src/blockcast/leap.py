"""LEAP's event API on blockcast (docs/protocol.md, "The LEAP client SDK"): callbacks by uid per
event type over one `events` connection with the union of the registered types, and `emit` as
one POST to ingest with an Idempotency-Key reused by every retry."""

from __future__ import annotations

import asyncio
import inspect
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .backoff import Backoff, retry_after_seconds
from .http_client import request
from .signals import Refused
from .subscription import Event, Subscription

Callback = Callable[[str, Any], "Awaitable[None] | None"]

#: Block events: delivered with the frame minus `type` as content.
BLOCK_EVENT_TYPES = ("BLOCK_VALID", "BLOCK_INVALID")


@dataclass(frozen=True, slots=True)
class Emitted:
    """Where an emitted event landed, as ingest answered."""

    type: str
    height: int
    seq: int
    position: str
    epoch: str | None
    #: False when ingest had already written the event under this Idempotency-Key (a retry).
    created: bool


class Leap:
    """`register`/`unregister`/`emit`; `await leap.run()` delivers to the callbacks until `close()`
    and raises the subscription's signals (`Reset`, `HistoryGone`, `Refused`). Keyword options
    not listed here (`store`, `since`, `epoch`, `token`, `backoff`, …) go to the `Subscription`.
    `on_event` sees each delivered frame (position, epoch, text) before its callbacks."""

    def __init__(
        self,
        api_root: str,
        *,
        ingest_url: str | None = None,
        ingest_token: str | None = None,
        emit_timeout: float = 30.0,
        on_event: Callable[[Event], None] | None = None,
        **subscription_options: Any,
    ) -> None:
        self._api_root = api_root
        self._ingest_url = ingest_url.rstrip("/") if ingest_url else None
        self._ingest_token = ingest_token
        self._emit_timeout = emit_timeout
        self._on_event = on_event
        self._options = subscription_options
        self._callbacks: dict[str, dict[str, Callback]] = {}
        self._subscription: Subscription | None = None
        self._types_changed = asyncio.Event()
        self._closed = False
        self._changes: set[asyncio.Task[None]] = set()

    def register(self, event: str, callback: Callback, uid: str, replace: bool = False) -> None:
        """Calls `callback(event, content)` for every `event`; a second `uid` for the same event
        raises ValueError unless `replace`. A new type opens a wider connection at once."""
        callbacks = self._callbacks.setdefault(event, {})
        if uid in callbacks and not replace:
            raise ValueError(f"{uid!r} is already registered for {event}: pass replace=True to swap its callback")
        widened = not callbacks
        callbacks[uid] = callback
        if widened:
            self._apply_types(reconnect=True)

    def unregister(self, event: str, uid: str) -> None:
        """Removes the callback at once; the connection narrows its types at the next reconnect."""
        callbacks = self._callbacks.get(event, {})
        callbacks.pop(uid, None)
        if not callbacks:
            self._callbacks.pop(event, None)
            self._apply_types(reconnect=False)

    @property
    def types(self) -> list[str]:
        return sorted(self._callbacks)

    async def emit(self, event: str, *content: Any) -> Emitted:
        """POST /api/v1/events/<event> with `{"content": …}` (one argument: it; several: their
        list); retried on 503, 429 and network errors with the same Idempotency-Key."""
        if self._ingest_url is None:
            raise ValueError("emit needs ingest_url (and ingest_token when ingest requires one)")
        value: Any = content[0] if len(content) == 1 else (list(content) if content else None)
        body = json.dumps({"content": value}).encode()
        headers = {"content-type": "application/json", "idempotency-key": str(uuid.uuid4())}
        if self._ingest_token is not None:
            headers["authorization"] = f"Bearer {self._ingest_token}"
        url = f"{self._ingest_url}/api/v1/events/{event}"
        backoff = Backoff(base=0.2, cap=5.0)
        deadline = asyncio.get_running_loop().time() + self._emit_timeout
        while True:
            delay: float | None = None
            try:
                answer = await request(url, method="POST", body=body, headers=headers, timeout=10.0)
            except OSError:
                answer = None
            if answer is not None and answer.status in (200, 201):
                data = answer.json()
                return Emitted(
                    str(data["type"]),
                    int(data["height"]),
                    int(data["seq"]),
                    str(data["position"]),
                    data.get("epoch"),
                    answer.status == 201,
                )
            if answer is not None and answer.status not in (429, 503):
                try:
                    error = answer.json()
                except ValueError:
                    error = {}
                error = error if isinstance(error, dict) else {}
                raise Refused(
                    answer.status, str(error.get("code", answer.status)), str(error.get("message", "")), error
                )
            if answer is not None:
                delay = retry_after_seconds(answer.headers.get("retry-after"))
            delay = backoff.next_delay() if delay is None else delay
            if asyncio.get_running_loop().time() + delay > deadline:
                raise TimeoutError(f"emit {event}: ingest did not accept it within {self._emit_timeout} s")
            await asyncio.sleep(delay)

    async def start(self) -> None:
        """Fixes where delivery starts and opens the `events` connection (`run` does it when
        not called before); needs at least one registered type."""
        if self._subscription is None:
            if not self._callbacks:
                raise ValueError("register a callback before starting: the connection selects the registered types")
            self._subscription = Subscription(
                self._api_root, "events", params={"types": ",".join(self.types)}, **self._options
            )
        await self._subscription.start()

    async def run(self) -> None:
        """Delivers events to the callbacks until `close()`; raises the signals."""
        while not self._closed:
            if not self._callbacks:
                self._types_changed.clear()
                await self._types_changed.wait()
                continue
            await self.start()
            subscription = self._subscription
            assert subscription is not None
            async for event in subscription:
                await self._deliver(event)
                await subscription.commit()
            return

    async def close(self) -> None:
        self._closed = True
        self._types_changed.set()
        for change in list(self._changes):
            await change
        if self._subscription is not None:
            await self._subscription.close()

    async def _deliver(self, event: Event) -> None:
        frame = event.frame
        kind = str(frame.get("type"))
        callbacks = list(self._callbacks.get(kind, {}).values())
        if callbacks and self._on_event is not None:
            self._on_event(event)
        if kind in BLOCK_EVENT_TYPES:
            content: Any = {key: value for key, value in frame.items() if key != "type"}
        else:
            content = frame.get("content")
        for callback in callbacks:
            result = callback(kind, content)
            if inspect.isawaitable(result):
                await result

    def _apply_types(self, *, reconnect: bool) -> None:
        self._types_changed.set()
        subscription = self._subscription
        if subscription is None or not self._callbacks:
            return
        subscription.change_params({"types": ",".join(self.types)}, reconnect=reconnect)
        if reconnect:
            # Opened now, not at the next frame: the old connection may carry none for a long time.
            change = asyncio.ensure_future(subscription.set_params({"types": ",".join(self.types)}))
            self._changes.add(change)
            change.add_done_callback(self._changes.discard)
