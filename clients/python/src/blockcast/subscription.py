"""One stream, consumed exactly once: the connection, its resumes and its signals in one object.

The socket is read only when the application asks for the next event, so a slow application
leaves frames in the kernel and the gateway's catch-up takes over; the client never queues more
than `max_queue` frames (the `websockets` library's bounded buffer).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from .api_root import ApiRootError, stream_state, streams_root
from .backoff import Backoff, retry_after_seconds
from .close_reason import CloseReason
from .cursor import Cursor, FrameIdentity, identify
from .position import Position
from .position_store import PositionStore
from .signals import BlockcastSignal, CannotConnect, HistoryGone, Refused, Reset

State = Literal["connecting", "connected", "disconnected", "closed"]
TokenProvider = Callable[[], "str | Awaitable[str]"]
Params = Mapping[str, "str | int | Sequence[str]"] | Sequence[tuple[str, str]] | str

#: Close codes after which the stream is not continuous for this client: raised as signals.
_RESET = 4011
_HISTORY_GONE = 4010
_DRAINING = 1001
_TOKEN_EXPIRED = 1008
#: Upgrade refusals that retrying cannot fix.
_PERMANENT = {400, 401, 403, 404, 426}
#: Answers after which the same request may work later.
_TRY_LATER = {429, 503}


@dataclass(frozen=True, slots=True)
class Event:
    """One frame delivered to the application."""

    stream: str
    #: The frame, parsed.
    frame: dict[str, Any]
    #: The frame exactly as the server sent it.
    raw: str
    #: `H` for a block's frame, `H-S` for a generic event; None on `valid_tx` (its frames carry no height).
    position: Position | None
    epoch: str | None


@dataclass(frozen=True, slots=True)
class StateChange:
    state: State
    #: The close code or HTTP status that caused a disconnect (1006 for a cut without a close frame).
    code: int | None = None
    reason: str = ""
    #: Seconds until the next attempt, when one is scheduled.
    retry_in: float | None = None


class Subscription:
    """Every event of one stream, exactly once and in order, or a signal.

    Consume it with `async for event in subscription` (an event counts as handled when the loop
    asks for the next one, or when `async with` ends without an exception) or with
    `await subscription.run(handler)`. `Reset`, `HistoryGone`, `Refused` (and `CannotConnect`,
    with `connect_deadline`) end the iteration as exceptions and are passed to `on_signal` first.
    """

    def __init__(
        self,
        api_root: str,
        stream: str,
        *,
        params: Params | None = None,
        since: str | Position | None = None,
        epoch: str | None = None,
        store: PositionStore | None = None,
        token: str | TokenProvider | None = None,
        headers: Mapping[str, str] | None = None,
        backoff: Backoff | None = None,
        connect_timeout: float = 10.0,
        ping_interval: float = 30.0,
        pong_timeout: float = 10.0,
        max_queue: int = 16,
        receive_buffer: int | None = 262_144,
        connect_deadline: float | None = None,
        on_state: Callable[[StateChange], None] | None = None,
        on_signal: Callable[[BlockcastSignal], None] | None = None,
    ) -> None:
        name, _, query = stream.partition("?")
        self.stream = name
        self._api_root = api_root
        self._params = _pairs(query) + _pairs(params)
        self._initial_since = Position.parse(since) if isinstance(since, str) else since
        self._initial_epoch = epoch
        self._store = store
        self._token = token
        self._current_token: str | None = token if isinstance(token, str) else None
        self._headers = dict(headers or {})
        self._backoff = backoff or Backoff()
        self._connect_timeout = connect_timeout
        self._ping_interval = ping_interval
        self._liveness = ping_interval + pong_timeout
        self._max_queue = max_queue
        self._receive_buffer = receive_buffer
        self._connect_deadline = connect_deadline
        self._ever_connected = False
        self._on_state = on_state
        self._on_signal = on_signal

        self.cursor = Cursor()
        self.state: State = "closed"
        self._streams_root: str | None = None
        self._started = False
        #: The start came from the catalog and no connection has opened yet: a 409 only means
        #: the catalog was stale, so it is read again instead of signalling a reset.
        self._catalog_start = False
        self._ws: ClientConnection | None = None
        self._keepalive: asyncio.Task[None] | None = None
        self._pending: tuple[Event, FrameIdentity] | None = None
        #: When the application started waiting for the next message (None: it is handling one).
        self._waiting_since: float | None = None
        #: Why the liveness check cut the connection, for the state change.
        self._silent = ""
        self._closed = False
        self._failing_since: float | None = None
        self._token_refreshed = False
        #: Bumped by each change of parameters that needs a new connection; the open one's version.
        self._params_version = 0
        self._ws_version = 0
        self._opened_version = 0
        self._swapping = asyncio.Lock()

    @property
    def connection(self) -> ClientConnection | None:
        """The open connection (for diagnostics: its addresses, the 101 response), or None."""
        return self._ws

    # -- consuming -------------------------------------------------------------------------

    async def __aenter__(self) -> Subscription:
        await self.start()
        return self

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            await self.commit()
        await self.close()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def start(self) -> None:
        """Fixes where the subscription starts (reading the API root and the catalog) and opens
        the connection; `async with` and the first `async for` step call it. Events committed
        after this call are never missed, even those committed before the connection opened."""
        if self._ws is not None or self._closed:
            return
        try:
            await self._connect()
        except BlockcastSignal as signal:
            await self._signalled(signal)
            raise

    async def __anext__(self) -> Event:
        await self.commit()
        if self._closed:
            raise StopAsyncIteration
        try:
            return await self._next_event()
        except BlockcastSignal as signal:
            await self._signalled(signal)
            raise

    async def _signalled(self, signal: BlockcastSignal) -> None:
        await self._drop_connection()
        if self._on_signal is not None:
            self._on_signal(signal)

    async def run(self, handler: Callable[[Event], Awaitable[None] | None]) -> None:
        """Calls `handler` (sync or async) for every event until `close()`; raises the signals."""
        async for event in self:
            result = handler(event)
            if inspect.isawaitable(result):
                await result
            await self.commit()

    async def commit(self) -> None:
        """Marks the last delivered event handled: the cursor (and the store) move past it."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        self.cursor.advance(pending[1])
        await self._save()

    async def close(self) -> None:
        """Stops: the iteration ends and the connection is closed. An uncommitted event stays unhandled."""
        self._closed = True
        await self._drop_connection()
        self._set_state(StateChange("closed"))

    async def reposition(self, since: str | Position | None, epoch: str | None) -> None:
        """Continues from another place, e.g. after a `Reset` once the application has
        resynchronised: `since=None` with the new `epoch` is live from now."""
        self._pending = None
        self.cursor = Cursor(epoch=epoch, since=Position.parse(since) if isinstance(since, str) else since)
        self._catalog_start = False
        await self._drop_connection()
        if since is None:
            self._started = False
            self._initial_since, self._initial_epoch = None, epoch
            if self._store is not None:
                await self._store.clear()
        else:
            self._started = True
            await self._save()

    async def set_params(self, params: Params, *, reconnect: bool = True) -> None:
        """Changes the stream's parameters: a new connection opens from the last handled event
        before the old one closes, so nothing is lost or repeated across the change. With
        `reconnect=False` they apply from the next reconnect."""
        self.change_params(params, reconnect=reconnect)
        await self._swap()

    def change_params(self, params: Params, *, reconnect: bool = True) -> None:
        """`set_params` without waiting: from this call on, nothing more is delivered from the
        old connection (the new one delivers it, from the same position); the connection is
        replaced by the next read, or at once by `await set_params(...)`."""
        self._params = _pairs(params)
        if reconnect:
            self._params_version += 1

    async def _swap(self) -> None:
        """Opens a connection with the current parameters, then closes the one it replaces."""
        async with self._swapping:
            old = self._ws
            if old is None or self._ws_version == self._params_version:
                return
            try:
                new = await self._open()
            except (OSError, TimeoutError, InvalidHandshake):  # InvalidStatus too: answered on reconnect
                # The normal reconnect path retries with the new parameters.
                await self._drop_connection()
                return
            self._adopt(new)
            await old.close()

    # -- the connection --------------------------------------------------------------------

    async def _next_event(self) -> Event:
        while True:
            if self._ws is None:
                await self._connect()
            elif self._ws_version != self._params_version:
                await self._swap()
                continue
            ws = self._ws
            assert ws is not None
            self._waiting_since = time.monotonic()
            try:
                message = await ws.recv()
            except ConnectionClosed as closed:
                if ws is not self._ws:
                    continue  # replaced by set_params: the new connection carries on
                received = closed.rcvd
                if received is None:
                    reason = self._silent or "connection cut without a close frame"
                    await self._after_close(ws, 1006, reason, exact=None)
                else:
                    await self._after_close(
                        ws, received.code, received.reason, exact=CloseReason.parse(received.reason)
                    )
                continue
            self._waiting_since = None
            if ws is not self._ws or self._ws_version != self._params_version:
                continue  # read from a connection being replaced: the new one sends it again
            if not isinstance(message, str) or message == "pong":
                continue
            try:
                frame = json.loads(message)
                identity = identify(self.stream, frame)
            except (ValueError, KeyError, TypeError):
                continue
            if self.cursor.is_duplicate(identity):
                continue
            self._backoff.reset()
            event = Event(self.stream, frame, message, identity.position, self.cursor.epoch)
            self._pending = (event, identity)
            return event

    async def _connect(self) -> None:
        while True:
            if self._closed:
                raise StopAsyncIteration
            self._set_state(StateChange("connecting"))
            try:
                if not self._started:
                    await self._start()
                ws = await self._open()
            except InvalidStatus as refusal:
                delay = await self._after_refusal(refusal)
            except (OSError, TimeoutError, InvalidHandshake, ApiRootError) as error:
                delay = self._backoff.next_delay()
                self._check_give_up(str(error) or type(error).__name__)
                self._set_state(StateChange("disconnected", None, str(error) or type(error).__name__, delay))
            else:
                self._failing_since = None
                self._ever_connected = True
                self._token_refreshed = False
                self._adopt(ws)
                return
            await asyncio.sleep(delay)

    async def _start(self) -> None:
        """Where the first connection starts: the store, else `since`/`epoch`, else the catalog's head."""
        if self._streams_root is None:
            self._streams_root = await streams_root(self._api_root, timeout=self._connect_timeout)
        stored = await self._store.load() if self._store is not None else None
        if stored is not None:
            self.cursor = Cursor.from_json(stored)
        elif self._initial_since is not None:
            epoch = self._initial_epoch
            if epoch is None:
                # `since` needs the epoch it belongs to: the current history's, from the catalog.
                epoch = (await stream_state(self._api_root, timeout=self._connect_timeout)).epoch
            self.cursor = Cursor(epoch=epoch, since=self._initial_since)
        else:
            state = await stream_state(self._api_root, timeout=self._connect_timeout)
            # From the catalog's head, in its epoch, so nothing committed after the start is missed
            # (the catalog may be a second old: a few earlier events may come too). An empty stream
            # has no head: the connection is live, pinned to the epoch if there is one.
            epoch = self._initial_epoch or state.epoch
            head = state.head_height if epoch == state.epoch else None
            if head is not None and head > 0 and self.stream == "events":
                # `since=H` covers the generic events emitted after block H, and the catalog names
                # only blocks: those emitted after H but before this start would be skipped.
                head -= 1
            self.cursor = Cursor(epoch=epoch, since=None if head is None else Position(head))
            self._catalog_start = self._initial_epoch is None
        self._started = True

    async def _open(self) -> ClientConnection:
        version = self._params_version
        headers = dict(self._headers)
        token = await self._token_value()
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        url = self._url()
        ws = await connect(
            url,
            sock=await _socket_to(url, self._receive_buffer, self._connect_timeout),
            additional_headers=headers,
            open_timeout=self._connect_timeout,
            ping_interval=None,  # liveness is judged by text "ping" only while the application waits
            max_queue=self._max_queue,
            max_size=2**24,
            compression=None,
            close_timeout=2,
        )
        epoch = ws.response.headers.get("X-Blockcast-Epoch") if ws.response is not None else None
        if epoch and self.cursor.epoch is None:
            self.cursor.epoch = epoch
            if self.cursor.since is None and not self.cursor.seen:
                # The stream was empty when this client started and has a history now: all of it
                # came after the start, and some may have been committed before this connection
                # opened. Read it from its beginning instead.
                self.cursor.since = Position(0)
                await ws.close()
                return await self._open()
        self._opened_version = version
        return ws

    def _adopt(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._ws_version = self._opened_version
        self.cursor.begin_replay()
        self._catalog_start = False
        if self._keepalive is not None:
            self._keepalive.cancel()
        self._silent = ""
        self._keepalive = asyncio.ensure_future(self._ping(ws))
        self._set_state(StateChange("connected"))

    def _url(self) -> str:
        assert self._streams_root is not None
        pairs = [(k, v) for k, v in self._params if k not in ("since", "epoch")]
        if self.cursor.since is not None:
            pairs.append(("since", str(self.cursor.since)))
            if self.cursor.epoch is not None:
                pairs.append(("epoch", self.cursor.epoch))
        elif self.cursor.epoch is not None:
            pairs.append(("epoch", self.cursor.epoch))
        query = urlencode(pairs)
        return f"{self._streams_root}{self.stream}{'?' + query if query else ''}"

    async def _ping(self, ws: ClientConnection) -> None:
        """Text "ping" on every stream (valid_tx closes a client silent for 3 minutes), and the
        liveness check: a connection that answers nothing while the application waits — not
        while it is busy, when frames stay unread on purpose — is cut and resumed."""
        tick = min(self._ping_interval, self._liveness - self._ping_interval) / 2
        next_ping = 0.0
        try:
            while True:
                now = time.monotonic()
                if now >= next_ping:
                    await ws.send("ping")
                    next_ping = now + self._ping_interval
                waiting = self._waiting_since
                if waiting is not None and now - waiting > self._liveness:
                    self._silent = f"no message within {self._liveness:.0f} s of a ping"
                    ws.transport.abort()
                    return
                await asyncio.sleep(tick)
        except (ConnectionClosed, OSError):
            return

    async def _after_close(self, ws: ClientConnection, code: int, reason: str, exact: CloseReason | None) -> None:
        await self._drop_connection()
        if code == _RESET:
            raise Reset(code, reason, exact.epoch if exact else None, exact.head if exact else None)
        if code == _HISTORY_GONE:
            raise HistoryGone(code, reason, exact.oldest if exact else None, exact.epoch if exact else None)
        if exact is not None and exact.since is not None:
            # Every frame before the close was delivered and handled: the position is exact.
            self.cursor.resume_at(exact.since, exact.epoch)
            await self._save()
        elif self.cursor.epoch is None:
            if self.cursor.since is None and not self.cursor.seen:
                # Started on an empty stream and nothing came: read the catalog again for a head and epoch.
                self._started = False
            else:
                # Never learned which history this was: resuming could continue another one.
                raise Reset(code, f"{reason}; the stream's epoch was never learned, so no resume is safe")
        if code == _DRAINING:
            delay = 0.0
        elif code == _TOKEN_EXPIRED:
            if not callable(self._token):
                raise Refused(
                    code, "TOKEN_EXPIRED", f"{reason}: pass token=<a callable> so the SDK can ask for a new one"
                )
            self._current_token = None
            delay = 0.0
        else:
            delay = self._backoff.next_delay()
        self._set_state(StateChange("disconnected", code, reason, delay))
        if delay > 0:
            await asyncio.sleep(delay)

    async def _after_refusal(self, refusal: InvalidStatus) -> float:
        response = refusal.response
        status = response.status_code
        body = _json_body(bytes(response.body or b""))
        code = str(body.get("code", ""))
        message = str(body.get("message", response.reason_phrase))
        if status == 409:
            if self._catalog_start:
                # The history changed between reading the catalog and connecting; nothing was
                # delivered from it, so start again from the current one.
                self._started = False
                return 0.0
            raise Reset(status, message, _text(body.get("epoch")), _int(body.get("head")))
        if status == 410:
            raise HistoryGone(status, message, _int(body.get("oldest")), self.cursor.epoch)
        if status == 401 and not isinstance(self._token, str) and self._token is not None and not self._token_refreshed:
            self._token_refreshed = True
            self._current_token = None
            return 0.0
        if status in _PERMANENT and code != "SINCE_AHEAD":
            raise Refused(status, code or str(status), message, body)
        later = retry_after_seconds(response.headers.get("Retry-After")) if status in _TRY_LATER else None
        delay = later if later is not None else self._backoff.next_delay()
        self._check_give_up(f"{status} {code}: {message}")
        self._set_state(StateChange("disconnected", status, f"{code}: {message}", delay))
        return delay

    def _check_give_up(self, error: str) -> None:
        """Only the first connection has a deadline: once connected, the subscription never gives up."""
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = now
        if self._connect_deadline is None or self._ever_connected:
            return
        if now - self._failing_since >= self._connect_deadline:
            raise CannotConnect(now - self._failing_since, error)

    async def _token_value(self) -> str | None:
        if self._current_token is None and self._token is not None and not isinstance(self._token, str):
            value = self._token()
            self._current_token = await value if inspect.isawaitable(value) else value
        return self._current_token

    async def _drop_connection(self) -> None:
        ws, self._ws = self._ws, None
        if self._keepalive is not None:
            self._keepalive.cancel()
            self._keepalive = None
        if ws is not None:
            await ws.close()

    async def _save(self) -> None:
        if self._store is not None:
            await self._store.save(self.cursor.to_json())

    def _set_state(self, change: StateChange) -> None:
        if change.state == self.state and change.state != "disconnected":
            return
        self.state = change.state
        if self._on_state is not None:
            self._on_state(change)


async def _socket_to(url: str, receive_buffer: int | None, timeout: float) -> socket.socket:
    """A connected TCP socket whose receive buffer is bounded before the handshake: a paused
    application then stops the gateway within that many bytes (its catch-up takes over) instead
    of the kernel's autotuned window, which can hold megabytes (net.ipv4.tcp_rmem)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "wss" else 80)
    loop = asyncio.get_running_loop()
    addresses = await loop.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    last_error: OSError | None = None
    for family, kind, protocol, _name, address in addresses:
        sock = socket.socket(family, kind, protocol)
        try:
            sock.setblocking(False)
            if receive_buffer is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
            await asyncio.wait_for(loop.sock_connect(sock, address), timeout)
            return sock
        except (OSError, TimeoutError) as error:
            sock.close()
            last_error = error if isinstance(error, OSError) else OSError(f"connecting to {address} timed out")
    raise last_error or OSError(f"{parts.hostname} has no address")


def _pairs(params: Params | None) -> list[tuple[str, str]]:
    if params is None:
        return []
    if isinstance(params, str):
        return parse_qsl(params, keep_blank_values=True)
    if isinstance(params, Mapping):
        pairs: list[tuple[str, str]] = []
        for key, value in params.items():
            if isinstance(value, (list, tuple)):
                pairs.extend((key, str(item)) for item in value)
            else:
                pairs.append((key, str(value)))
        return pairs
    return [(str(key), str(value)) for key, value in params]


def _json_body(body: bytes | None) -> dict[str, Any]:
    try:
        data = json.loads(body or b"")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
