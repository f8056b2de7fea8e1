from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from stack import Stack


def _require_tools() -> None:
    for tool in ("redis-server", "node"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: the SDK's tests run against the real stack")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """One stack per test module; a test that breaks it for good gets a `fresh_stack` instead."""
    _require_tools()
    started = Stack.start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def fresh_stack() -> Iterator[Stack]:
    _require_tools()
    started = Stack.start()
    try:
        yield started
    finally:
        started.stop()
