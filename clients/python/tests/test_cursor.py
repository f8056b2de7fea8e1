"""The resume rule as the cursor keeps it: what counts as a duplicate after a cut, per stream."""

from __future__ import annotations

import random

import pytest

from blockcast import Backoff, Cursor, Position
from blockcast.close_reason import CloseReason
from blockcast.cursor import identify


def tx(height: int, tx_id: str) -> dict[str, object]:
    return {"height": height, "asset_id": tx_id, "transaction_id": tx_id}


def test_after_a_cut_mid_block_the_block_is_replayed_and_only_its_delivered_frames_dropped() -> None:
    cursor = Cursor(epoch="e", since=Position(9))
    for frame in (tx(10, "a"), tx(10, "b"), tx(11, "c")):
        cursor.advance(identify("valid_transactions", frame))
    assert cursor.since == Position(10)  # the resume point: last height − 1
    replay = [tx(11, "c"), tx(11, "d"), tx(12, "e")]
    assert [cursor.is_duplicate(identify("valid_transactions", f)) for f in replay] == [True, False, False]


def test_a_block_at_or_before_the_position_is_a_duplicate_on_every_height_stream() -> None:
    cursor = Cursor(since=Position(10))
    assert cursor.is_duplicate(identify("valid_blocks", {"height": 10, "hash": None, "transaction_ids": []}))
    assert not cursor.is_duplicate(identify("valid_blocks", {"height": 11, "hash": None, "transaction_ids": []}))


def test_events_dedup_block_events_by_type_and_height_and_generic_events_by_height_and_seq() -> None:
    cursor = Cursor(since=Position(4))
    valid = {"type": "BLOCK_VALID", "height": 5, "hash": "h", "transactions": []}
    invalid = {"type": "BLOCK_INVALID", "height": 5, "transactions": []}
    generic = {"type": "NODE_STATUS", "height": 5, "seq": 2, "content": {}}
    cursor.advance(identify("events", valid))
    assert cursor.is_duplicate(identify("events", valid))
    assert not cursor.is_duplicate(identify("events", invalid))
    cursor.advance(identify("events", invalid))
    cursor.advance(identify("events", generic))
    assert cursor.since == Position(5, 2)  # a generic event is one frame: exact
    assert cursor.is_duplicate(identify("events", {**generic, "seq": 1}))
    assert not cursor.is_duplicate(identify("events", {**generic, "seq": 3}))
    assert not cursor.is_duplicate(identify("events", {**valid, "height": 6}))


def test_valid_tx_replay_skips_frames_older_than_the_first_delivered_then_drops_the_delivered() -> None:
    cursor = Cursor(epoch="e", since=Position(3))
    for tx_id in ("a", "b"):
        cursor.advance(identify("valid_tx", {"txid": tx_id, "assetid": tx_id, "blockid": "x"}))
    cursor.begin_replay()
    replay = ["older", "a", "b", "c"]
    dropped = [cursor.is_duplicate(identify("valid_tx", {"txid": t, "assetid": t, "blockid": "x"})) for t in replay]
    assert dropped == [True, True, True, False]


def test_a_close_reason_position_is_exact_and_forgets_the_delivered_frames() -> None:
    cursor = Cursor(epoch="e")
    cursor.advance(identify("valid_transactions", tx(7, "a")))
    reason = CloseReason.parse("draining; since=7; epoch=f00d")
    assert reason.since is not None
    cursor.resume_at(reason.since, reason.epoch)
    assert (cursor.since, cursor.epoch, cursor.seen) == (Position(7), "f00d", {})


def test_the_cursor_survives_its_json_form() -> None:
    cursor = Cursor(epoch="e", since=Position(3, 2))
    cursor.advance(identify("valid_transactions", tx(4, "a")))
    assert Cursor.from_json(cursor.to_json()) == cursor


def test_close_reasons_name_position_epoch_oldest_and_head() -> None:
    assert CloseReason.parse("history gone; since=12-3; epoch=ab; oldest=40") == CloseReason(
        "history gone; since=12-3; epoch=ab; oldest=40", Position(12, 3), "ab", 40, None
    )
    assert CloseReason.parse("stream reset; epoch=cd; head=7").head == 7
    assert CloseReason.parse("").since is None


@pytest.mark.parametrize("text", ["", "-1", "1-", "a", "1.5", "1-2-3"])
def test_a_malformed_position_is_refused_with_the_forms_named(text: str) -> None:
    with pytest.raises(ValueError, match="H or H-S"):
        Position.parse(text)


def test_positions_order_as_the_bus_does() -> None:
    assert Position.parse("12-0") == Position(12)
    assert Position(12, 3) < Position(12) < Position(13, 1)


def test_backoff_is_full_jitter_under_an_exponential_bound_and_a_cap() -> None:
    backoff = Backoff(base=1.0, cap=8.0, random=random.Random(7))
    delays = [backoff.next_delay() for _ in range(200)]
    bounds = [min(8.0, 2.0**i) for i in range(200)]
    assert all(0 <= d <= b for d, b in zip(delays, bounds, strict=True))
    assert max(delays[10:]) > 4.0  # reaches near the cap, not stuck low
    assert min(delays[10:]) < 1.0  # full jitter: not "cap ± a little"
    backoff.reset()
    assert backoff.next_delay() <= 1.0
