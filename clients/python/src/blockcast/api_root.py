"""Finding the streams from the API root URL: the root document's `streams` URL (the WebSocket
URL of valid_transactions) gives the streams root; the catalog `GET /api/v1/streams` gives where
the history stands (epoch, oldest and head height)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .http_client import request
from .signals import Refused


@dataclass(frozen=True, slots=True)
class StreamState:
    """From the catalog: None where discovery cannot read the event log (or the stream is empty)."""

    epoch: str | None
    oldest_height: int | None
    head_height: int | None


class ApiRootError(OSError):
    """The API root or the catalog could not be read (network, 5xx): worth retrying."""


async def streams_root(api_root: str, *, timeout: float) -> str:
    """`ws://host:port/api/v1/streams/` from the API root document."""
    document = await _get_json(api_root, timeout)
    streams = _streams_url(document)
    if streams is None:
        raise Refused(
            200, "NO_STREAMS_URL", f"{api_root} is not a blockcast API root: its document names no streams URL"
        )
    return streams.rsplit("/", 1)[0] + "/"


async def stream_state(api_root: str, *, timeout: float) -> StreamState:
    document = await _get_json(catalog_url(api_root), timeout)
    return StreamState(
        epoch=_text(document.get("epoch")),
        oldest_height=_int(document.get("oldest_height")),
        head_height=_int(document.get("head_height")),
    )


def catalog_url(api_root: str) -> str:
    """`<scheme>://<host>[/prefix]/api/v1/streams` for an API root given as `/`, `/api/v1` or `/api/v1/`."""
    parts = urlsplit(api_root)
    path = parts.path.rstrip("/")
    if path.endswith("/api/v1"):
        path = path[: -len("/api/v1")]
    return urlunsplit((parts.scheme, parts.netloc, f"{path}/api/v1/streams", "", ""))


def _streams_url(document: dict[str, Any]) -> str | None:
    # `/api/v1/` of BigchainDB 2.x and Planetmint; `/` nests it under api.v1; 0.10 uses _links.
    for candidate in (
        document.get("streams"),
        (document.get("api") or {}).get("v1", {}).get("streams"),
        (document.get("_links") or {}).get("streams_v1"),
    ):
        if isinstance(candidate, str):
            return candidate
    return None


async def _get_json(url: str, timeout: float) -> dict[str, Any]:
    try:
        answer = await request(url, headers={"accept": "application/json"}, timeout=timeout)
    except OSError as error:
        raise ApiRootError(f"cannot read {url}: {error}") from error
    if answer.status >= 500 or answer.status == 429:
        raise ApiRootError(f"{url} answered {answer.status}")
    try:
        document = answer.json()
    except (ValueError, UnicodeDecodeError):
        document = None
    if answer.status != 200 or not isinstance(document, dict):
        raise Refused(answer.status, "NOT_AN_API_ROOT", f"{url} answered {answer.status} without a JSON document")
    return document


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


__all__ = ["ApiRootError", "StreamState", "catalog_url", "stream_state", "streams_root"]
