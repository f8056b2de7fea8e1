"""The fields of a blockcast close reason: `<what>; since=<P>; epoch=<E>[; oldest=…][; head=…]`."""

from __future__ import annotations

from dataclasses import dataclass

from .position import Position


@dataclass(frozen=True, slots=True)
class CloseReason:
    text: str
    since: Position | None = None
    epoch: str | None = None
    oldest: int | None = None
    head: int | None = None

    @classmethod
    def parse(cls, text: str) -> CloseReason:
        fields: dict[str, str] = {}
        for part in text.split(";"):
            name, sep, value = part.strip().partition("=")
            if sep:
                fields[name.strip()] = value.strip()
        return cls(
            text=text,
            since=_position(fields.get("since")),
            epoch=fields.get("epoch") or None,
            oldest=_integer(fields.get("oldest")),
            head=_integer(fields.get("head")),
        )


def _position(value: str | None) -> Position | None:
    try:
        return None if value is None else Position.parse(value)
    except ValueError:
        return None


def _integer(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None
