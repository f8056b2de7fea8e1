"""`python -m blockcast tail`: lines exactly as sent, exit codes, and `--output F` exactly once
while gateways and tail itself are killed with -9."""

from __future__ import annotations

import json

from stack import Stack, wait_until
from tail_process import TailProcess, run_tail


def lines(path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_usage_errors_exit_1(stack: Stack) -> None:
    assert run_tail().returncode == 1
    assert run_tail("valid_blocks").returncode == 1  # no --api-root
    assert run_tail("valid_blocks", "--api-root", stack.api_root, "--since", "x").returncode == 1
    both = run_tail("valid_blocks", "--api-root", stack.api_root, "--output", "a", "--position-file", "b")
    assert both.returncode == 1


def test_an_unreachable_api_root_exits_2() -> None:
    answer = run_tail("valid_blocks", "--api-root", "http://127.0.0.1:9/api/v1/", "--connect-deadline", "1")
    assert answer.returncode == 2
    assert "cannot connect" in answer.stderr


def test_a_refused_parameter_exits_6_with_the_servers_error(stack: Stack) -> None:
    answer = run_tail("valid_blocks?public_key=abc", "--api-root", stack.api_root)
    assert answer.returncode == 6
    assert "PARAMETER_NOT_APPLICABLE" in answer.stderr or "INVALID_PARAMETER" in answer.stderr


def test_a_position_in_another_epoch_exits_4(stack: Stack) -> None:
    answer = run_tail("valid_blocks", "--api-root", stack.api_root, "--since", "1", "--epoch", "0000000000000000")
    assert answer.returncode == 4
    assert "reset (409)" in answer.stderr


def test_since_prints_every_frame_exactly_as_sent_one_per_line(stack: Stack, tmp_path) -> None:
    stack.post_next(3)
    epoch = stack.catalog()["epoch"]
    tail = TailProcess(
        "valid_blocks",
        "--api-root",
        stack.api_root,
        "--since",
        "0",
        "--epoch",
        epoch,
        stdout=tmp_path / "out",
        stderr=tmp_path / "err",
    )
    wait_until(lambda: len(lines(tmp_path / "out")) >= stack.height - 1, 30, "tail printing every block")
    assert tail.terminate() == 0
    printed = lines(tmp_path / "out")
    assert [json.loads(line)["height"] for line in printed] == list(range(1, stack.height))
    # The server's own spacing (Python json.dumps style), not a re-serialisation.
    assert printed[0].startswith('{"height": 1, "hash": ')


def test_output_file_holds_every_event_once_across_kills_of_gateways_and_of_tail(stack: Stack, tmp_path) -> None:
    output = tmp_path / "events.jsonl"
    args = ("valid_transactions", "--api-root", stack.api_root, "--output", str(output))
    stack.settle()  # the catalog names the head, so the tail starts after the earlier tests' blocks
    start_height = stack.height

    def start() -> TailProcess:
        return TailProcess(*args, stdout=tmp_path / "stdout", stderr=tmp_path / "stderr")

    tail = start()
    wait_until(lambda: "connected" in (tmp_path / "stderr").read_text(), 30, "tail connected")
    posted: list[str] = []
    for round_ in range(3):
        posted += stack.post_next(4, transactions=3)
        most = len(posted) - 2
        wait_until(lambda: len(lines(output)) >= most, 30, "tail writing")  # noqa: B023 - called at once
        tail.kill()  # possibly mid-block, possibly mid-line
        posted += stack.post_next(2, transactions=3)
        if round_ == 1:
            stack.kill_gateway(0)
            posted += stack.post_next(2, transactions=3)
        tail = start()
        owed = len(posted)
        wait_until(lambda: len(lines(output)) >= owed, 60, "tail catching up after its restart")  # noqa: B023
        if round_ == 1:
            stack.start_gateway(0)
    posted += stack.post_next(2, transactions=3)
    last = posted[-1]
    # Frames arrive in order: once the last one is in F, any duplicate before it is in F too.
    wait_until(lambda: last in output.read_text(), 60, "the last blocks")
    assert tail.terminate() == 0

    written = [json.loads(line)["transaction_id"] for line in lines(output)]
    assert written == posted
    assert all(json.loads(line)["height"] >= start_height for line in lines(output))
