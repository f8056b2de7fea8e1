/**
 * One blockcast service as a child process: started through tsx, its output prefixed with its
 * name (or kept for a test to read), ready when its readiness URL answers 200, stopped by
 * SIGTERM with a SIGKILL fallback. Used by the local topology and the end-to-end tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitUntil } from './wait-until.js';

export const SERVICE_ENTRIES = {
  ingest: 'services/ingest/src/main.ts',
  gateway: 'services/gateway/src/main.ts',
  discovery: 'services/discovery/src/main.ts',
  'demo-chain': 'services/demo-chain/src/main.ts',
  plugins: 'services/plugins/src/main.ts',
} as const;

/** `npm start`: every service in one process. */
const ALL_IN_ONE_ENTRY = 'scripts/start-all.ts';

export type ServiceKind = keyof typeof SERVICE_ENTRIES;

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Resolves with the exit code when the process ends by itself or is stopped. */
  readonly exited: Promise<number | null>;
  /** Resolves when the output matches `pattern`; rejects if the process exits first or time runs out. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  waitUntilReady(url: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Another way to run the service than tsx on its source, e.g. the compiled image layout. */
export interface ServiceLaunch {
  command: string;
  args: string[];
  cwd: string;
}

export function startService(
  kind: ServiceKind | 'all',
  options: {
    name?: string;
    env: Record<string, string>;
    echo?: boolean;
    launch?: ServiceLaunch;
    /** Its own process group, so a terminal's Ctrl-C reaches only the parent, which then stops it once. */
    ownProcessGroup?: boolean;
  },
): ServiceProcess {
  const name = options.name ?? kind;
  const entry = kind === 'all' ? ALL_IN_ONE_ENTRY : SERVICE_ENTRIES[kind];
  const launch = options.launch ?? {
    command: process.execPath,
    args: ['--import', 'tsx', entry],
    cwd: REPO_ROOT,
  };
  const child = spawn(launch.command, launch.args, {
    cwd: launch.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownProcessGroup ?? false,
  });
  let output = '';
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    if (options.echo) {
      for (const line of text.split('\n')) if (line !== '') process.stdout.write(`[${name}] ${line}\n`);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  return {
    name,
    child,
    output: () => output,
    exited,
    async waitForOutput(pattern, timeoutMs = 20_000) {
      await waitUntil(
        () => {
          if (pattern.test(output)) return true;
          if (child.exitCode !== null)
            throw new Error(`${name} exited with ${child.exitCode} before printing ${pattern}:\n${output}`);
          return false;
        },
        timeoutMs,
        `${name} printing ${pattern}`,
        50,
      );
      return output;
    },
    async waitUntilReady(url, timeoutMs = 20_000) {
      await waitUntil(
        async () => {
          if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
          return (await fetch(url).catch(() => undefined))?.status === 200;
        },
        timeoutMs,
        `${name} ready at ${url}`,
        100,
      );
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
