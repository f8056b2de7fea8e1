/**
 * The `blockcast` command run as a user runs it: its bin in a child process with pipes (so stdout
 * is not a terminal), its lines and exit code collected. Waits are on output and exit, each with
 * a deadline that fails the test rather than hanging it.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BLOCKCAST_BIN = fileURLToPath(
  new URL('../../packages/client/bin/blockcast.js', import.meta.url),
);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BlockcastOptions {
  env?: Record<string, string>;
  /** Another launcher (e.g. `npm` for `npm run watch`), run in the repository with `args`. */
  command?: string;
  cwd?: string;
  /** In a process group of its own, signalled as a whole by `stop()` (a shell and what it started). */
  group?: boolean;
}

export class BlockcastProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  readonly startedAt = performance.now();
  stdout = '';
  stderr = '';
  #waiters = new Set<() => void>();
  readonly #group: boolean;

  constructor(args: readonly string[], options: BlockcastOptions = {}) {
    const [command, argv] =
      options.command === undefined
        ? [process.execPath, [BLOCKCAST_BIN, ...args]]
        : [options.command, [...args]];
    this.child = spawn(command, argv, {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: options.group === true,
    });
    this.#group = options.group === true;
    this.child.stdin.end();
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
      this.#notify();
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
      this.#notify();
    });
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code) => {
        this.#notify();
        resolve(code);
      }),
    );
  }

  /** The whole lines written to stdout so far. */
  lines(): string[] {
    return this.stdout.split('\n').slice(0, -1);
  }

  /** Resolves once `ready()` holds; rejects if the process exits first or the deadline passes. */
  async until(what: string, ready: () => boolean, timeoutMs = 30_000): Promise<void> {
    let exited = false;
    void this.exited.then(() => {
      exited = true;
    });
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      if (exited) throw new Error(`blockcast exited before ${what}:\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 250);
        this.#waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  waitForLines(count: number, timeoutMs?: number): Promise<void> {
    return this.until(`${count} lines on stdout`, () => this.lines().length >= count, timeoutMs);
  }

  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void> {
    return this.until(`stderr matching ${pattern}`, () => pattern.test(this.stderr), timeoutMs);
  }

  /** Its exit code; killed (and the test failed) if it has not exited within the deadline. */
  async exit(timeoutMs = 60_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (this.#group) process.kill(-this.child.pid!, 'SIGKILL');
        else this.child.kill('SIGKILL');
        reject(new Error(`blockcast did not exit within ${timeoutMs} ms:\n${this.stderr}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM by its PID (its group's, with `group`), then its exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      if (this.#group) process.kill(-this.child.pid!, 'SIGTERM');
      else this.child.kill('SIGTERM');
    }
    return this.exit();
  }

  #notify(): void {
    for (const waiter of this.#waiters) waiter();
    this.#waiters.clear();
  }
}

export interface BlockcastRun {
  code: number | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
  lines(): string[];
}

/** Runs a command that ends by itself and returns what it wrote and its exit code. */
export async function runBlockcast(
  args: readonly string[],
  options: BlockcastOptions & { timeoutMs?: number } = {},
): Promise<BlockcastRun> {
  const run = new BlockcastProcess(args, options);
  const code = await run.exit(options.timeoutMs);
  return {
    code,
    stdout: run.stdout,
    stderr: run.stderr,
    elapsedMs: performance.now() - run.startedAt,
    lines: () => run.lines(),
  };
}
