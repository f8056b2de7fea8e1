"""LEAP on the real stack: callbacks by uid over one events connection, widened by register, and
emit with its position."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from stack import Stack

from blockcast import Leap, Refused


async def wait_for(condition: Any, timeout: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def leap_for(stack: Stack) -> Leap:
    return Leap(stack.api_root, ingest_url=stack.ingest_url, ingest_token=stack.token)


async def test_register_twice_without_replace_is_an_error_and_replace_swaps(stack: Stack) -> None:
    leap = leap_for(stack)
    leap.register("NODE_STATUS", lambda event, content: None, "a")
    with pytest.raises(ValueError, match="replace=True"):
        leap.register("NODE_STATUS", lambda event, content: None, "a")
    leap.register("NODE_STATUS", lambda event, content: None, "a", True)
    await leap.close()


async def test_emit_answers_the_position_and_a_refused_content_raises_the_servers_error(stack: Stack) -> None:
    leap = leap_for(stack)
    first = await leap.emit("NODE_STATUS", {"node_id": "n", "status": "up"})
    second = await leap.emit("NODE_STATUS", {"node_id": "n", "status": "down"})
    assert first.created and second.created
    assert (first.height, first.seq + 1) == (second.height, second.seq)
    assert second.position == f"{second.height}-{second.seq}"
    with pytest.raises(Refused) as refused:
        await leap.emit("NODE_STATUS", {"status": "not a status"})
    assert refused.value.status == 400


async def test_callbacks_get_each_event_once_across_a_widening_register_and_stop_after_unregister(stack: Stack) -> None:
    leap = leap_for(stack)
    got: list[tuple[str, Any]] = []
    leap.register("NODE_STATUS", lambda event, content: got.append((event, content)), "status")
    stack.settle()  # the earlier tests' events are before the start
    await leap.start()
    running = asyncio.ensure_future(leap.run())
    await leap.emit("NODE_STATUS", {"node_id": "n", "status": "up"})
    await wait_for(lambda: len(got) == 1)

    async def on_block(event: str, content: Any) -> None:
        got.append((event, content))

    leap.register("BLOCK_VALID", on_block, "blocks")  # a new connection with both types
    height = stack.height
    stack.post_next(1)
    await leap.emit("NODE_STATUS", {"node_id": "n", "status": "syncing"})
    await wait_for(lambda: len(got) == 3)
    leap.unregister("NODE_STATUS", "status")
    await leap.emit("NODE_STATUS", {"node_id": "n", "status": "down"})
    stack.post_next(1)
    await wait_for(lambda: len(got) == 4)
    await leap.close()
    await asyncio.wait_for(running, 10)

    assert got[0] == ("NODE_STATUS", {"node_id": "n", "status": "up"})
    assert got[1][0] == "BLOCK_VALID" and got[1][1]["height"] == height and "type" not in got[1][1]
    assert got[2] == ("NODE_STATUS", {"node_id": "n", "status": "syncing"})
    assert got[3][0] == "BLOCK_VALID" and got[3][1]["height"] == height + 1
