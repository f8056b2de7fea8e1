"""The Subscription against the real stack: exactly once and in order across gateway faults, or a signal."""

from __future__ import annotations

import asyncio

import pytest
from collector import Collector, Crash
from stack import Stack

from blockcast import Event, FilePositionStore, HistoryGone, Refused, Reset, Subscription


def connection_port(subscription: Subscription) -> int:
    assert subscription.connection is not None
    return int(subscription.connection.local_address[1])


async def post_in_background(stack: Stack, blocks: int, interval: float = 0.05) -> list[str]:
    ids: list[str] = []
    for _ in range(blocks):
        ids += await asyncio.to_thread(stack.post_next, 1)
        await asyncio.sleep(interval)
    return ids


async def test_live_start_delivers_each_event_with_its_position_and_the_pinned_epoch(stack: Stack) -> None:
    stack.settle()
    epoch = stack.catalog()["epoch"]
    assert epoch is not None
    collector = Collector.start(Subscription(stack.api_root, "valid_transactions"))
    await collector.connected()
    first = stack.height
    posted = stack.post_next(3)
    await collector.count(len(posted))
    await collector.stop()

    assert collector.ids() == posted
    assert [str(e.position) for e in collector.events] == [str(h) for h in range(first, first + 3) for _ in (0, 1)]
    assert {e.epoch for e in collector.events} == {epoch}


@pytest.mark.parametrize("fault", ["kill -9", "SIGTERM drain"])
async def test_a_gateway_fault_under_load_loses_repeats_and_reorders_nothing(stack: Stack, fault: str) -> None:
    stack.settle()
    collector = Collector.start(Subscription(stack.api_root, "valid_transactions"))
    await collector.connected()
    sender = asyncio.ensure_future(post_in_background(stack, 40))
    await collector.count(20)
    serving = stack.serving_gateway(connection_port(collector.subscription))
    if fault == "kill -9":
        await asyncio.to_thread(stack.kill_gateway, serving)
    else:
        await asyncio.to_thread(stack.stop_gateway, serving)
    posted = await sender
    await collector.count(len(posted))
    await collector.stop()
    restart = asyncio.to_thread(stack.start_gateway, serving)

    assert collector.ids() == posted  # 0 lost, 0 duplicated, 0 reordered
    closes = [s.code for s in collector.states if s.state == "disconnected"]
    assert closes[:1] == ([1006] if fault == "kill -9" else [1001])
    await restart


async def test_a_refused_parameter_is_surfaced_once_with_the_servers_error(stack: Stack) -> None:
    collector = Collector.start(Subscription(stack.api_root, "valid_blocks?public_key=abc"))
    await collector.ended()

    assert isinstance(collector.signal, Refused)
    assert collector.signal.status == 400
    assert collector.signal.code in ("PARAMETER_NOT_APPLICABLE", "INVALID_PARAMETER")
    assert "public_key" in collector.signal.message
    assert [s.state for s in collector.states].count("connecting") == 1  # no retry loop


async def test_a_restarted_process_resumes_from_its_file_store_mid_block(stack: Stack, tmp_path) -> None:
    store = FilePositionStore(tmp_path / "position.json")
    stack.settle()

    def crash_on_the_fifth(event: Event) -> None:
        if len(collector.events) == 4:
            raise Crash  # inside the second block (3 + 1 handled): the fifth stays unhandled

    collector = Collector.start(Subscription(stack.api_root, "valid_transactions", store=store), crash_on_the_fifth)
    await collector.connected()
    posted = stack.post_next(2, transactions=3)
    await collector.ended()
    await collector.stop()
    handled = collector.ids()
    posted += stack.post_next(2, transactions=3)

    second = Collector.start(Subscription(stack.api_root, "valid_transactions", store=FilePositionStore(store.path)))
    await second.count(len(posted) - len(handled))
    await second.stop()

    assert handled == posted[:4]
    assert handled + second.ids() == posted


async def test_legacy_valid_tx_resumes_after_a_cut_without_duplicates(stack: Stack) -> None:
    stack.settle()
    collector = Collector.start(Subscription(stack.api_root, "valid_tx"))
    await collector.connected()
    sender = asyncio.ensure_future(post_in_background(stack, 20))
    await collector.count(10)
    serving = stack.serving_gateway(connection_port(collector.subscription))
    await asyncio.to_thread(stack.kill_gateway, serving)
    posted = await sender
    await collector.count(len(posted))
    await collector.stop()
    restart = asyncio.to_thread(stack.start_gateway, serving)

    assert [e.frame["txid"] for e in collector.events] == posted
    assert all(e.position is None for e in collector.events)
    await restart


async def test_history_gone_is_signalled_with_the_oldest_height(short_memory_stack: Stack) -> None:
    stack = short_memory_stack
    epoch = stack.catalog()["epoch"]
    stack.post_next(12)
    oldest = stack.height - 3
    stack.redis_cli("XTRIM", f"{stack.prefix}blocks", "MINID", "=", str(oldest))
    collector = Collector.start(Subscription(stack.api_root, "valid_blocks", since="1", epoch=epoch))
    await collector.ended()

    assert isinstance(collector.signal, HistoryGone)
    assert collector.signal.oldest == oldest
    assert collector.events == []


async def test_redis_emptied_and_the_chain_restarted_is_a_reset_never_a_continuation(fresh_stack: Stack) -> None:
    stack = fresh_stack
    stack.post_next(3)
    stack.settle()
    old_epoch = stack.catalog()["epoch"]
    collector = Collector.start(Subscription(stack.api_root, "valid_blocks"))
    await collector.connected()
    live = [stack.height, stack.height + 1]
    stack.post_next(2)
    await collector.count(2)

    await asyncio.to_thread(stack.restart_redis_empty)
    for height in range(1, 8):  # a new chain: its block 4 is not the old block 4
        await asyncio.to_thread(stack.post, height, 1, chain="new")
    await collector.ended()

    assert isinstance(collector.signal, Reset)
    assert collector.signal.code == 4011
    assert collector.signal.epoch != old_epoch  # None when the gateway saw the stream empty
    assert [e.frame["height"] for e in collector.events] == live

    # What docs/clients.md says to do after a reset: resynchronise, then continue in the new history.
    await collector.subscription.reposition(None, collector.signal.epoch)
    stack.height = 8
    stack.settle()
    again = Collector.start(collector.subscription)
    await again.connected()
    fresh = stack.height
    stack.post_next(2)
    await again.count(2)
    await again.stop()
    assert [e.frame["height"] for e in again.events] == [fresh, fresh + 1]
    assert {e.epoch for e in again.events} == {stack.catalog()["epoch"]}
