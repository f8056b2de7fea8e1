from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from stack import Stack, wait_until


def with_history(stack: Stack) -> Stack:
    """One block committed and the catalog showing its epoch, so clients can pin it."""
    stack.post_next(1)
    wait_until(lambda: stack.catalog().get("epoch") is not None, 10, "the catalog showing the epoch", 0.2)
    return stack


def require_tools() -> None:
    for tool in ("redis-server", "node"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: the SDK's tests run against the real stack")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """One stack per test module; a test that breaks it for good gets a `fresh_stack` instead."""
    require_tools()
    started = Stack.start()
    try:
        yield with_history(started)
    finally:
        started.stop()


@pytest.fixture
def fresh_stack() -> Iterator[Stack]:
    require_tools()
    started = Stack.start()
    try:
        yield with_history(started)
    finally:
        started.stop()


@pytest.fixture
def short_memory_stack() -> Iterator[Stack]:
    """Gateways that keep only 5 blocks in memory, so a resume further back asks the event log."""
    require_tools()
    started = Stack.start(env={"RETAIN_BLOCKS": "5"})
    try:
        yield with_history(started)
    finally:
        started.stop()
