/**
 * The TypeScript side of stack-control.ts's JSON-lines protocol: spawns the controller and sends
 * it commands one at a time, each resolved with its answer (rejected with the controller's error).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CONTROLLER = fileURLToPath(new URL('./stack-control.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface StartAnswer {
  apiRoot: string;
  discoveryUrl: string;
  ingestUrl: string;
  ingestToken: string;
  streamsUrl: string;
  gatewayUrls: string[];
}

export interface LoggedHistory {
  epoch: string | null;
  frames: string[];
  positions: string[];
}

export class StackControl {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<
    number,
    { resolve: (value: Record<string, unknown>) => void; reject: (error: Error) => void }
  >();
  #nextId = 1;
  #stderr = '';
  readonly exited: Promise<number | null>;

  constructor() {
    this.#child = spawn(process.execPath, ['--import', 'tsx', CONTROLLER], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-20_000);
    });
    this.exited = new Promise((resolve) => this.#child.once('exit', (code) => resolve(code)));
    void this.exited.then((code) => {
      for (const waiting of this.#waiting.values())
        waiting.reject(new Error(`stack-control exited (${code}) before answering:\n${this.#stderr}`));
      this.#waiting.clear();
    });
    const lines = createInterface({ input: this.#child.stdout! });
    lines.on('line', (line) => {
      const answer = JSON.parse(line) as { id: number; ok: boolean; error?: string } & Record<
        string,
        unknown
      >;
      const waiting = this.#waiting.get(answer.id);
      this.#waiting.delete(answer.id);
      if (answer.ok) waiting?.resolve(answer);
      else waiting?.reject(new Error(`stack-control: ${answer.error}`));
    });
  }

  send<T = Record<string, unknown>>(command: Record<string, unknown>): Promise<T> {
    const id = this.#nextId;
    this.#nextId += 1;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (value: Record<string, unknown>) => void, reject });
      this.#child.stdin!.write(`${JSON.stringify({ ...command, id })}\n`);
    });
  }

  start(args: Record<string, unknown>): Promise<StartAnswer> {
    return this.send<StartAnswer>({ ...args, cmd: 'start' });
  }

  async log(stream: string, query: string): Promise<LoggedHistory[]> {
    return (await this.send<{ histories: LoggedHistory[] }>({ cmd: 'log', stream, query })).histories;
  }

  /** The frames the log's current history holds after height `head`: what a reader started there is owed. */
  async framesAfter(stream: string, query: string, head: number): Promise<string[]> {
    const history = (await this.log(stream, query)).at(-1);
    assert.ok(history !== undefined);
    return history.frames.filter((_, i) => Number(history.positions[i]) > head);
  }

  /** Kills each of the two gateways in turn (-9; a client is on one of them), posts blocks while it is down, restarts it. */
  async killEachGatewayInTurn(blocksWhileDown: number): Promise<void> {
    for (const index of [0, 1]) {
      await this.send({ cmd: 'killGateway', index });
      await this.send({ cmd: 'postBlocks', n: blocksWhileDown });
      await this.send({ cmd: 'restartGateway', index });
    }
  }

  /** Stops the stack and waits for the controller to exit. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    await this.send({ cmd: 'stop' }).catch(() => {});
    this.#child.stdin!.end();
    await this.exited;
  }

  get stderr(): string {
    return this.#stderr;
  }
}
