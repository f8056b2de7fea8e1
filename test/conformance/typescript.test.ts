/**
 * The conformance scenarios (scenarios.json) run with the TypeScript SDK in-process — and with
 * `blockcast tail --output F` as a child process where the scenario kills the client itself —
 * against the real stack (stack-control.ts). Each scenario is one test; a client that loses,
 * repeats or reorders a frame, or misses or invents a signal, fails it.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BlockcastClient, MemoryPositionStore, SignalError, type StreamEvent } from '@blockcast/client/node';
import { waitUntil } from '@blockcast/devkit';
import { haproxyStackSkip } from '../support/haproxy.js';
import { type LoggedHistory, StackControl, type StartAnswer } from './stack-control-client.js';

interface Scenario {
  id: string;
  title: string;
  stack: Record<string, unknown>;
  client: { stream: string; query: string; process?: boolean; leap?: { register: string[] } };
  steps: ({ cmd: string } & Record<string, unknown>)[] | ({ client: string } & Record<string, unknown>)[];
  expect: { outcome: 'complete' } | { outcome: 'signal'; signal: string; then: 'complete' | null };
}

const SCENARIOS = (
  JSON.parse(readFileSync(new URL('./scenarios.json', import.meta.url), 'utf8')) as { scenarios: Scenario[] }
).scenarios;
const BIN = fileURLToPath(new URL('../../packages/client/bin/blockcast.js', import.meta.url));

/** What the application saw in one run: from a start (or resync) to the end or a signal. */
interface Run {
  /** The frame texts in the order delivered (per type for LEAP clients). */
  frames: Map<string, string[]>;
  epochs: Set<string | null>;
  /** How many frames of the current history existed when the run started. */
  startIndex: Map<string, number>;
  signal: string | undefined;
}

/** The application under test, in whichever form the scenario runs it. */
interface ClientUnderTest {
  readonly runs: Run[];
  start(): Promise<void>;
  pause(): void;
  resume(): void;
  kill(): Promise<void>;
  restart(): Promise<void>;
  register(type: string): Promise<void>;
  resync(): Promise<void>;
  close(): Promise<void>;
}

/** The SDK in this process: a subscription read with the async iterator, or LEAP callbacks. */
class SdkClient implements ClientUnderTest {
  readonly runs: Run[] = [];
  #store = new MemoryPositionStore();
  #client: BlockcastClient | undefined;
  #reading: Promise<void> | undefined;
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;
  readonly #types: string[];

  constructor(
    readonly scenario: Scenario,
    readonly stack: StartAnswer,
    readonly control: StackControl,
  ) {
    this.#types = [...(scenario.client.leap?.register ?? [])];
  }

  get #run(): Run {
    return this.runs.at(-1)!;
  }

  async #newRun(): Promise<void> {
    const run: Run = { frames: new Map(), epochs: new Set(), startIndex: new Map(), signal: undefined };
    for (const query of this.#queries()) {
      run.frames.set(query, []);
      run.startIndex.set(
        query,
        (await this.control.log(this.scenario.client.stream, query)).at(-1)!.frames.length,
      );
    }
    this.runs.push(run);
  }

  #queries(): string[] {
    return this.scenario.client.leap === undefined
      ? [this.scenario.client.query]
      : this.#types.map((type) => `types=${type}`);
  }

  async start(): Promise<void> {
    await this.#newRun();
    this.#connect();
    // The client's start point is fixed once it connected: only then do the steps post more.
    await waitUntil(() => this.#opened, 60_000, `${this.scenario.id}: the client connected`, 50);
  }

  #opened = false;

  #connect(): void {
    const client = new BlockcastClient({
      apiRoot: this.stack.apiRoot,
      positionStore: this.#store,
      backoff: { baseMs: 100, capMs: 1000 },
      highWaterMark: 64,
    });
    this.#client = client;
    this.#opened = false;
    const record = (event: StreamEvent, query: string) => {
      this.#run.frames.get(query)?.push(event.text);
      this.#run.epochs.add(event.epoch);
    };
    if (this.scenario.client.leap !== undefined) {
      for (const type of this.#types) void client.register(type, async () => {}, `conformance-${type}`);
      const watch = () => {
        const subscription = client.leapSubscription;
        if (subscription === undefined) return setTimeout(watch, 10);
        subscription.on('delivered', (event) => record(event, `types=${event.frame.type}`));
        subscription.on('signal', (signal) => {
          this.#run.signal ??= signal.kind;
        });
        subscription.on('state', ({ state }) => {
          if (state === 'open') this.#opened = true;
        });
      };
      watch();
      return;
    }
    const params = Object.fromEntries(new URLSearchParams(this.scenario.client.query));
    const subscription = client.subscribe(this.scenario.client.stream as 'valid_transactions', { params });
    subscription.on('state', ({ state }) => {
      if (state === 'open') this.#opened = true;
    });
    const query = this.scenario.client.query;
    this.#reading = (async () => {
      try {
        for await (const event of subscription) {
          record(event as StreamEvent, query);
          subscription.commit();
          await this.#gate;
        }
      } catch (error) {
        if (!(error instanceof SignalError)) throw error;
        this.#run.signal ??= error.signal.kind;
      }
    })();
  }

  pause(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  resume(): void {
    this.#open?.();
    this.#gate = undefined;
  }

  async kill(): Promise<void> {
    throw new Error('an in-process client cannot be killed: mark the scenario "process": true');
  }

  /** A new SDK client on the same position store, as a restarted process would be. */
  async restart(): Promise<void> {
    await this.#stop();
    this.#connect();
  }

  async register(type: string): Promise<void> {
    this.#types.push(type);
    this.#run.frames.set(`types=${type}`, []);
    this.#run.startIndex.set(
      `types=${type}`,
      (await this.control.log('events', `types=${type}`)).at(-1)!.frames.length,
    );
    await this.#client!.register(type, async () => {}, `conformance-${type}`);
  }

  /** What docs/clients.md tells an application to do after reset/historyGone: forget the position, start again. */
  async resync(): Promise<void> {
    await this.#stop();
    this.#store = new MemoryPositionStore();
    await this.start();
  }

  async #stop(): Promise<void> {
    this.resume();
    await this.#client?.close();
    await this.#reading;
  }

  close(): Promise<void> {
    return this.#stop();
  }
}

/** `blockcast tail --output F`, a process of its own, so a step can SIGKILL it. */
class TailProcess implements ClientUnderTest {
  readonly runs: Run[] = [];
  readonly dir = mkdtempSync(join(tmpdir(), 'blockcast-tail-'));
  readonly output = join(this.dir, 'frames.jsonl');
  #child: ChildProcess | undefined;
  #exited: Promise<number | null> | undefined;
  #stderr = '';

  constructor(
    readonly scenario: Scenario,
    readonly stack: StartAnswer,
    readonly control: StackControl,
  ) {}

  async start(): Promise<void> {
    const query = this.scenario.client.query;
    const startIndex = (await this.control.log(this.scenario.client.stream, query)).at(-1)!.frames.length;
    this.#opened = false;
    this.runs.push({
      frames: new Map([[query, []]]),
      epochs: new Set(),
      startIndex: new Map([[query, startIndex]]),
      signal: undefined,
    });
    this.#spawn();
    await waitUntil(() => this.#opened, 60_000, `${this.scenario.id}: tail connected`, 50);
  }

  #opened = false;

  #spawn(): void {
    const target = `${this.scenario.client.stream}${this.scenario.client.query === '' ? '' : `?${this.scenario.client.query}`}`;
    const child = spawn(
      process.execPath,
      [BIN, 'tail', target, '--api-root', this.stack.apiRoot, '--output', this.output],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-10_000);
      if (/blockcast tail: open/.test(chunk.toString())) this.#opened = true;
    });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    void this.#exited.then((code) => {
      if (code === 3) this.runs.at(-1)!.signal ??= 'historyGone';
      if (code === 4) this.runs.at(-1)!.signal ??= 'reset';
    });
    this.#refresh();
  }

  /** The run's frames are F's lines, re-read on demand. */
  #refresh(): void {
    const run = this.runs.at(-1)!;
    const text = existsSync(this.output) ? readFileSync(this.output, 'utf8') : '';
    const lines = text.split('\n');
    lines.pop(); // the partial (or empty) last line
    run.frames.set(this.scenario.client.query, lines);
    if (existsSync(`${this.output}.position`))
      run.epochs = new Set([
        (JSON.parse(readFileSync(`${this.output}.position`, 'utf8')) as { epoch: string | null }).epoch,
      ]);
  }

  pause(): void {
    if (this.#child?.pid !== undefined) process.kill(this.#child.pid, 'SIGSTOP');
  }

  resume(): void {
    if (this.#child?.pid !== undefined) process.kill(this.#child.pid, 'SIGCONT');
  }

  async kill(): Promise<void> {
    this.#child?.kill('SIGKILL');
    await this.#exited;
    this.#refresh();
  }

  async restart(): Promise<void> {
    if (this.#child?.exitCode === null && this.#child.signalCode === null) await this.kill();
    this.#spawn();
  }

  async register(): Promise<void> {
    throw new Error('tail has no LEAP registration');
  }

  async resync(): Promise<void> {
    await this.close();
    rmSync(this.output, { force: true });
    rmSync(`${this.output}.position`, { force: true });
    await this.start();
  }

  get frames(): string[] {
    this.#refresh();
    return lastOf(this.runs).frames.get(this.scenario.client.query) ?? [];
  }

  async close(): Promise<void> {
    if (this.#child?.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGTERM');
      await this.#exited;
    }
    this.#refresh();
  }

  cleanUp(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  get stderr(): string {
    return this.#stderr;
  }
}

function lastOf<T>(items: readonly T[] | undefined): T {
  const item = items?.at(-1);
  if (item === undefined) throw new Error('expected at least one');
  return item;
}

/** The run's frames of `query` are one unbroken stretch of the history, starting no later than the run did. */
function checkRun(run: Run, query: string, history: LoggedHistory, complete: boolean, label: string): void {
  const frames = run.frames.get(query) ?? [];
  const startIndex = run.startIndex.get(query) ?? 0;
  if (frames.length === 0) {
    if (complete)
      assert.equal(
        history.frames.length,
        startIndex,
        `${label}: nothing delivered, yet frames were posted after the start`,
      );
    return;
  }
  const first = history.frames.indexOf(frames[0]!);
  assert.ok(
    first !== -1,
    `${label}: the first frame delivered is not in the history of epoch ${history.epoch}: ${frames[0]}`,
  );
  assert.ok(
    first <= startIndex,
    `${label}: frames posted after the start were lost before the first delivered (index ${first} > ${startIndex})`,
  );
  const expected = history.frames.slice(first, first + frames.length);
  for (let i = 0; i < frames.length; i += 1) {
    if (frames[i] !== expected[i]) {
      const seen =
        frames.indexOf(frames[i]!) !== i
          ? 'duplicated'
          : history.frames.includes(frames[i]!)
            ? 'out of order or after a gap'
            : 'not in the history';
      assert.fail(`${label}: frame ${i} is ${seen}: got ${frames[i]}, expected ${expected[i]}`);
    }
  }
  if (complete)
    assert.equal(
      first + frames.length,
      history.frames.length,
      `${label}: ${history.frames.length - first - frames.length} frames at the end were never delivered`,
    );
}

async function caughtUp(client: ClientUnderTest, control: StackControl, scenario: Scenario): Promise<void> {
  await waitUntil(
    async () => {
      const run = client.runs.at(-1)!;
      if (client instanceof TailProcess) void client.frames;
      if (run.signal !== undefined) return true;
      for (const [query, frames] of run.frames) {
        const history = (await control.log(scenario.client.stream, query)).at(-1)!;
        const last = history.frames.at(-1);
        if (
          last !== undefined &&
          history.frames.length > (run.startIndex.get(query) ?? 0) &&
          frames.at(-1) !== last
        )
          return false;
      }
      return true;
    },
    90_000,
    `${scenario.id}: the client delivering every frame of the current history`,
    250,
  ).catch((error: Error) => {
    throw client instanceof TailProcess
      ? new Error(`${error.message}; tail's stderr:\n${client.stderr}`)
      : error;
  });
}

for (const scenario of SCENARIOS) {
  test(
    `conformance (TypeScript SDK): ${scenario.id} — ${scenario.title}`,
    { ...haproxyStackSkip(), timeout: 240_000 },
    async (t) => {
      const control = new StackControl();
      t.after(() => control.stop());
      const stack = await control.start(scenario.stack);
      const client: ClientUnderTest = scenario.client.process
        ? new TailProcess(scenario, stack, control)
        : new SdkClient(scenario, stack, control);
      t.after(async () => {
        await client.close();
        if (client instanceof TailProcess) client.cleanUp();
      });
      for (const step of scenario.steps) {
        if ('cmd' in step) {
          await control.send(step);
          continue;
        }
        const action = step.client;
        if (action === 'start') await client.start();
        else if (action === 'caughtUp') await caughtUp(client, control, scenario);
        else if (action === 'pause') client.pause();
        else if (action === 'resume') client.resume();
        else if (action === 'kill') await client.kill();
        else if (action === 'restart') await client.restart();
        else if (action === 'register') await client.register(String(step.type));
        else if (action === 'resync') await client.resync();
        else if (action === 'signal')
          await waitUntil(
            () => client.runs.at(-1)!.signal !== undefined,
            60_000,
            `${scenario.id}: a signal`,
            100,
          );
        else throw new Error(`unknown client step ${action}`);
      }
      await client.close();

      const expect = scenario.expect;
      const runs = client.runs;
      const histories = new Map<string, LoggedHistory[]>();
      for (const query of new Set(runs.flatMap((run) => [...run.frames.keys()])))
        histories.set(query, await control.log(scenario.client.stream, query));
      const historyOf = (query: string, run: Run) => {
        const all = histories.get(query)!;
        const epoch = [...run.epochs][0];
        return run.epochs.size === 0
          ? all.at(-1)!
          : (all.find((history) => history.epoch === epoch) ?? all.at(-1)!);
      };
      if (expect.outcome === 'complete') {
        assert.equal(runs.length, 1, 'one run, no resynchronisation');
        const run = runs[0]!;
        assert.equal(run.signal, undefined, `no signal (got ${run.signal})`);
        assert.ok(run.epochs.size <= 1, `every frame in one epoch (got ${[...run.epochs].join(', ')})`);
        for (const query of run.frames.keys())
          checkRun(run, query, lastOf(histories.get(query)), true, `${scenario.id} ${query}`);
        return;
      }
      const [before, after] = runs;
      assert.equal(
        before?.signal,
        expect.signal,
        `the signal ${expect.signal} (got ${before?.signal ?? 'none'})`,
      );
      assert.ok(before.epochs.size <= 1, 'the frames before the signal are of one epoch');
      for (const query of before.frames.keys())
        checkRun(before, query, historyOf(query, before), false, `${scenario.id} before ${expect.signal}`);
      if (expect.then === 'complete') {
        assert.ok(after !== undefined, 'the application resynchronised');
        assert.equal(after.signal, undefined, `no signal after resynchronising (got ${after.signal})`);
        for (const query of after.frames.keys())
          checkRun(after, query, lastOf(histories.get(query)), true, `${scenario.id} after resync`);
      }
    },
  );
}
