"""Private streams: a missing token is refused for good (tail exits 5); an expired one (1008) is
replaced by asking the token callback, and the stream resumes exactly."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator

import pytest
from collector import Collector
from conftest import require_tools, with_history
from stack import Stack
from tail_process import run_tail

from blockcast import Refused, Subscription

SECRET = "conformance-secret-of-at-least-32-bytes!"


def token(lifetime: float) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    unsigned = f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': 'sdk-test', 'exp': int(time.time() + lifetime)})}"
    signature = hmac.new(SECRET.encode(), unsigned.encode(), hashlib.sha256).digest()
    return f"{unsigned}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


@pytest.fixture(scope="module")
def private_stack() -> Iterator[Stack]:
    require_tools()
    started = Stack.start(env={"GATEWAY_JWT_SECRET": SECRET, "GATEWAY_PRIVATE_STREAMS": "valid_transactions"})
    try:
        yield with_history(started)
    finally:
        started.stop()


async def test_no_token_is_refused_once_with_the_servers_code(private_stack: Stack) -> None:
    collector = Collector.start(Subscription(private_stack.api_root, "valid_transactions"))
    await collector.ended()
    assert isinstance(collector.signal, Refused)
    assert (collector.signal.status, collector.signal.code) == (401, "TOKEN_REQUIRED")


def test_tail_without_a_token_exits_5(private_stack: Stack) -> None:
    answer = run_tail("valid_transactions", "--api-root", private_stack.api_root)
    assert answer.returncode == 5
    assert "TOKEN_REQUIRED" in answer.stderr


async def test_an_expired_token_is_renewed_through_the_callback_and_nothing_is_lost(private_stack: Stack) -> None:
    stack = private_stack
    asked: list[float] = []

    def short_lived() -> str:
        asked.append(time.time())
        return token(lifetime=3)

    collector = Collector.start(Subscription(stack.api_root, "valid_transactions", token=short_lived))
    await collector.connected()
    posted = stack.post_next(2)
    await collector.until(lambda: any(s.code == 1008 for s in collector.states), timeout=30)
    posted += stack.post_next(2)
    await collector.count(len(posted))
    await collector.stop()

    assert collector.ids() == posted
    assert len(asked) >= 2  # the first token, and a new one after 1008
