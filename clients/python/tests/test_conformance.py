"""The conformance scenarios (test/conformance/scenarios.json, README.md beside it) run with the
Python SDK in-process — and with `python -m blockcast tail --output F` as a child process where a
scenario kills the client itself — against the real stack driven by stack-control.ts. Each
scenario is one test; a client that loses, repeats or reorders a frame, or misses or invents a
signal, fails it."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from stack import REPO_ROOT
from stack_control import StackControl

from blockcast import (
    Backoff,
    BlockcastSignal,
    Event,
    HistoryGone,
    Leap,
    MemoryPositionStore,
    Refused,
    Reset,
    Subscription,
)

SCENARIOS: list[dict[str, Any]] = json.loads((REPO_ROOT / "test/conformance/scenarios.json").read_text())["scenarios"]
SIGNAL_NAMES = {Reset: "reset", HistoryGone: "historyGone", Refused: "refused"}
#: tail's exit codes that are signals (blockcast.tail.ExitCode).
EXIT_SIGNALS = {3: "historyGone", 4: "reset"}


@dataclass
class Run:
    """What the application saw from a start (or resync) to the end or a signal."""

    #: Frame texts in delivery order, per query (per registered type for LEAP clients).
    frames: dict[str, list[str]] = field(default_factory=dict)
    epochs: set[str | None] = field(default_factory=set)
    #: How many frames the current history had when the run started, per query.
    start_index: dict[str, int] = field(default_factory=dict)
    signal: str | None = None


class SdkClient:
    """The SDK in this process: a Subscription read with `async for`, or LEAP callbacks."""

    def __init__(self, scenario: dict[str, Any], stack: dict[str, Any], control: StackControl) -> None:
        self.scenario = scenario
        self.stack = stack
        self.control = control
        self.runs: list[Run] = []
        self.store = MemoryPositionStore()
        self.types: list[str] = list((scenario["client"].get("leap") or {}).get("register", []))
        self._gate = asyncio.Event()
        self._gate.set()
        self._subscription: Subscription | None = None
        self._leap: Leap | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def run(self) -> Run:
        return self.runs[-1]

    def queries(self) -> list[str]:
        if self.scenario["client"].get("leap") is None:
            return [self.scenario["client"]["query"]]
        return [f"types={t}" for t in self.types]

    async def start(self) -> None:
        run = Run()
        for query in self.queries():
            run.frames[query] = []
            run.start_index[query] = len(
                (await self.control.log(self.scenario["client"]["stream"], query))[-1]["frames"]
            )
        self.runs.append(run)
        await self._connect()

    def _options(self) -> dict[str, Any]:
        return {"store": self.store, "backoff": Backoff(base=0.1, cap=1.0), "max_queue": 64}

    def _record(self, event: Event, query: str) -> None:
        frames = self.run.frames.get(query)
        if frames is not None:
            frames.append(event.raw)
            self.run.epochs.add(event.epoch)

    async def _connect(self) -> None:
        """Started (its start point fixed, its connection open) before the next step runs."""
        client = self.scenario["client"]
        if client.get("leap") is not None:
            leap = Leap(
                self.stack["apiRoot"],
                ingest_url=self.stack["ingestUrl"],
                ingest_token=self.stack["ingestToken"],
                on_event=lambda event: self._record(event, f"types={event.frame['type']}"),
                **self._options(),
            )
            for event_type in self.types:
                leap.register(event_type, _ignore, f"conformance-{event_type}")
            self._leap = leap
            await self._started(leap.start())
            self._task = asyncio.ensure_future(self._read(leap.run()))
            return
        subscription = Subscription(self.stack["apiRoot"], client["stream"], params=client["query"], **self._options())
        self._subscription = subscription
        await self._started(subscription.start())
        self._task = asyncio.ensure_future(self._read(self._iterate(subscription, client["query"])))

    async def _iterate(self, subscription: Subscription, query: str) -> None:
        async for event in subscription:
            self._record(event, query)
            await subscription.commit()
            await self._gate.wait()  # paused: the iterator is not read, the SDK applies backpressure

    async def _started(self, starting: Any) -> None:
        try:
            await starting
        except BlockcastSignal:
            pass  # raised again by the reading task, which records it

    async def _read(self, reading: Any) -> None:
        try:
            await reading
        except BlockcastSignal as raised:
            if self.run.signal is None:
                self.run.signal = SIGNAL_NAMES.get(type(raised), type(raised).__name__)

    def pause(self) -> None:
        self._gate.clear()

    def resume(self) -> None:
        self._gate.set()

    async def kill(self) -> None:
        raise AssertionError('an in-process client cannot be killed: mark the scenario "process": true')

    async def restart(self) -> None:
        """A new SDK client on the same position store, as a restarted process would be."""
        await self._stop()
        await self._connect()

    async def register(self, event_type: str) -> None:
        self.types.append(event_type)
        query = f"types={event_type}"
        self.run.frames[query] = []
        self.run.start_index[query] = len((await self.control.log("events", query))[-1]["frames"])
        assert self._leap is not None
        self._leap.register(event_type, _ignore, f"conformance-{event_type}")

    async def resync(self) -> None:
        """What docs/clients.md tells an application to do after reset/historyGone: forget the position, start again."""
        await self._stop()
        self.store = MemoryPositionStore()
        await self.start()

    async def _stop(self) -> None:
        self.resume()
        if self._leap is not None:
            await self._leap.close()
        if self._subscription is not None:
            await self._subscription.close()
        if self._task is not None:
            await asyncio.wait_for(self._task, 30)

    async def close(self) -> None:
        await self._stop()

    def refresh(self) -> None:
        pass


class TailClient:
    """`python -m blockcast tail --output F`, a process of its own, so a step can SIGKILL it."""

    def __init__(self, scenario: dict[str, Any], stack: dict[str, Any], control: StackControl) -> None:
        self.scenario = scenario
        self.stack = stack
        self.control = control
        self.runs: list[Run] = []
        self.dir = Path(tempfile.mkdtemp(prefix="blockcast-pytail-"))
        self.output = self.dir / "frames.jsonl"
        self.stderr = self.dir / "stderr"
        self._process: asyncio.subprocess.Process | None = None
        self._watch: asyncio.Task[None] | None = None

    @property
    def query(self) -> str:
        return str(self.scenario["client"]["query"])

    async def start(self) -> None:
        start_index = len((await self.control.log(self.scenario["client"]["stream"], self.query))[-1]["frames"])
        self.runs.append(Run(frames={self.query: []}, start_index={self.query: start_index}))
        await self._spawn()

    def _connected_lines(self) -> int:
        return self.stderr.read_text().count(": connected") if self.stderr.exists() else 0

    async def _spawn(self) -> None:
        """Returns once tail reports its connection open: its start is fixed (a process takes a
        moment to start, and a client counts as started once it is)."""
        target = self.scenario["client"]["stream"] + (f"?{self.query}" if self.query else "")
        connected = self._connected_lines()
        with open(self.stderr, "ab") as stderr:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "blockcast",
                "tail",
                target,
                "--api-root",
                self.stack["apiRoot"],
                "--output",
                str(self.output),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=stderr,
            )
        process, run = self._process, self.runs[-1]

        async def watch() -> None:
            code = await process.wait()
            if code in EXIT_SIGNALS and run.signal is None:
                run.signal = EXIT_SIGNALS[code]

        self._watch = asyncio.ensure_future(watch())

        async def started() -> bool:
            return self._connected_lines() > connected or self._watch is None or self._watch.done()

        await _until(started, 60, "tail connecting")
        self.refresh()

    def refresh(self) -> None:
        """The run's frames are F's complete lines; its epoch is the one kept beside F."""
        run = self.runs[-1]
        text = self.output.read_text() if self.output.exists() else ""
        run.frames[self.query] = text.split("\n")[:-1]
        sidecar = Path(f"{self.output}.position")
        if sidecar.exists():
            run.epochs = {json.loads(sidecar.read_text()).get("epoch")}

    def pause(self) -> None:
        if self._process is not None:
            os.kill(self._process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self._process is not None:
            os.kill(self._process.pid, signal.SIGCONT)

    def _running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def kill(self) -> None:
        if self._running():
            assert self._process is not None
            self._process.kill()
        await self._wait()
        self.refresh()

    async def restart(self) -> None:
        if self._running():
            await self.kill()
        await self._spawn()

    async def register(self, event_type: str) -> None:
        raise AssertionError("tail has no LEAP registration")

    async def resync(self) -> None:
        await self.close()
        self.output.unlink(missing_ok=True)
        Path(f"{self.output}.position").unlink(missing_ok=True)
        await self.start()

    async def _wait(self) -> None:
        if self._watch is not None:
            await asyncio.wait_for(self._watch, 30)

    async def close(self) -> None:
        if self._running():
            assert self._process is not None
            os.kill(self._process.pid, signal.SIGCONT)
            self._process.terminate()
        await self._wait()
        self.refresh()

    def clean_up(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def stderr_tail(self) -> str:
        return self.stderr.read_text(errors="replace")[-3000:] if self.stderr.exists() else ""


async def _ignore(_event: str, _content: Any) -> None:
    return None


def check_run(run: Run, query: str, history: dict[str, Any], complete: bool, label: str) -> None:
    """The run's frames of `query` are one unbroken stretch of the history, starting no later than the run did."""
    frames = run.frames.get(query, [])
    start_index = run.start_index.get(query, 0)
    owed: list[str] = history["frames"]
    if not frames:
        if complete:
            assert len(owed) == start_index, f"{label}: nothing delivered, yet frames were posted after the start"
        return
    assert frames[0] in owed, (
        f"{label}: the first frame delivered is not in the history of epoch {history['epoch']}: {frames[0]}"
    )
    first = owed.index(frames[0])
    assert first <= start_index, (
        f"{label}: frames posted after the start were lost before the first delivered ({first} > {start_index})"
    )
    expected = owed[first : first + len(frames)]
    for i, frame in enumerate(frames):
        if i >= len(expected) or frame != expected[i]:
            what = (
                "duplicated"
                if frames.index(frame) != i
                else "out of order or after a gap"
                if frame in owed
                else "not in the history"
            )
            raise AssertionError(
                f"{label}: frame {i} is {what}: got {frame}, expected {expected[i] if i < len(expected) else 'nothing'}"
            )
    if complete:
        missing = len(owed) - first - len(frames)
        assert missing == 0, f"{label}: {missing} frames at the end were never delivered"


async def caught_up(client: SdkClient | TailClient, control: StackControl, scenario: dict[str, Any]) -> None:
    """Until every frame of the current history is delivered, or a signal was raised."""

    async def done() -> bool:
        client.refresh()
        run = client.runs[-1]
        if run.signal is not None:
            return True
        for query, frames in run.frames.items():
            owed = (await control.log(scenario["client"]["stream"], query))[-1]["frames"]
            if owed and len(owed) > run.start_index.get(query, 0) and (not frames or frames[-1] != owed[-1]):
                return False
        return True

    await _until(done, 90, f"{scenario['id']}: the client delivering every frame of the current history")


async def _until(condition: Any, timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.25)


async def run_scenario(scenario: dict[str, Any], control: StackControl) -> None:
    stack = await control.send({"cmd": "start", **scenario["stack"]})
    client: SdkClient | TailClient = (
        TailClient(scenario, stack, control)
        if scenario["client"].get("process")
        else SdkClient(scenario, stack, control)
    )
    try:
        for step in scenario["steps"]:
            if "cmd" in step:
                await control.send(step)
                continue
            action = step["client"]
            if action == "start":
                await client.start()
            elif action == "caughtUp":
                await caught_up(client, control, scenario)
            elif action == "pause":
                client.pause()
            elif action == "resume":
                client.resume()
            elif action == "kill":
                await client.kill()
            elif action == "restart":
                await client.restart()
            elif action == "register":
                await client.register(str(step["type"]))
            elif action == "resync":
                await client.resync()
            elif action == "signal":

                async def signalled() -> bool:
                    client.refresh()
                    return client.runs[-1].signal is not None

                await _until(signalled, 60, f"{scenario['id']}: a signal")
            else:
                raise AssertionError(f"unknown client step {action}")
        await client.close()
        check_outcome(
            scenario,
            client.runs,
            {
                query: await control.log(scenario["client"]["stream"], query)
                for query in {q for run in client.runs for q in run.frames}
            },
        )
    except BaseException:
        if isinstance(client, TailClient):
            sys.stderr.write(f"tail's stderr:\n{client.stderr_tail()}\n")
        raise
    finally:
        await client.close()
        if isinstance(client, TailClient):
            client.clean_up()


def check_outcome(scenario: dict[str, Any], runs: list[Run], histories: dict[str, list[dict[str, Any]]]) -> None:
    expect = scenario["expect"]
    label = scenario["id"]

    def history_of(query: str, run: Run) -> dict[str, Any]:
        every = histories[query]
        if not run.epochs:
            return every[-1]
        epoch = next(iter(run.epochs))
        return next((h for h in every if h["epoch"] == epoch), every[-1])

    if expect["outcome"] == "complete":
        assert len(runs) == 1, "one run, no resynchronisation"
        run = runs[0]
        assert run.signal is None, f"no signal (got {run.signal})"
        assert len(run.epochs) <= 1, f"every frame in one epoch (got {run.epochs})"
        for query in run.frames:
            check_run(run, query, histories[query][-1], True, f"{label} {query}")
        return
    before = runs[0]
    assert before.signal == expect["signal"], f"the signal {expect['signal']} (got {before.signal})"
    assert len(before.epochs) <= 1, "the frames before the signal are of one epoch"
    for query in before.frames:
        check_run(before, query, history_of(query, before), False, f"{label} before {expect['signal']}")
    if expect.get("then") == "complete":
        assert len(runs) == 2, "the application resynchronised"
        after = runs[1]
        assert after.signal is None, f"no signal after resynchronising (got {after.signal})"
        for query in after.frames:
            check_run(after, query, histories[query][-1], True, f"{label} after resync")


def _require_tools() -> None:
    for tool in ("redis-server", "haproxy", "node"):
        if shutil.which(tool) is None:
            pytest.fail(
                f"{tool} is not installed: the conformance suite runs the real stack "
                "(apt-get install -y redis-server haproxy)"
            )


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
async def test_conformance(scenario: dict[str, Any]) -> None:
    _require_tools()
    control = await StackControl.spawn()
    try:
        await asyncio.wait_for(run_scenario(scenario, control), 300)
    except BaseException:
        sys.stderr.write(f"stack-control's stderr:\n{control.stderr_tail()}\n")
        raise
    finally:
        await control.stop()
