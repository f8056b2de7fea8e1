/**
 * `blockcast tail`: the SDK's reference consumer. Every frame on stdout (and in `--output F`)
 * once, as the server sent it; the state and errors on stderr; the exit code says how it ended.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { StreamName } from '@blockcast/protocol/client';
import { readHistoryBounds } from '../api-root.js';
import { writeAtomically } from '../file-position-store.js';
import { BlockcastClient } from '../node.js';
import { MemoryPositionStore, type PositionStore, parseResumePoint } from '../position-store.js';
import type { ResumePoint } from '../resume-point.js';
import type { Signal } from '../signals.js';
import { pointAt, type StreamParams } from '../subscription.js';
import { parseArguments } from './arguments.js';
import { ExitCode, UsageError } from './exit-codes.js';
import type { Command } from './main.js';
import { OutputFile } from './output-file.js';

/** One position file, whatever the key: `--position-file F`. */
class PositionFile implements PositionStore {
  constructor(readonly path: string) {}

  load(): ResumePoint | undefined {
    if (!existsSync(this.path)) return undefined;
    const point = parseResumePoint(readFileSync(this.path, 'utf8'));
    if (point === undefined) throw new UsageError(`${this.path} is not a position file`);
    return point;
  }

  save(_key: string, point: ResumePoint): void {
    writeAtomically(this.path, JSON.stringify(point));
  }

  clear(): void {}
}

function paramsOf(query: string): StreamParams {
  const params: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(query)) {
    params[name] ??= [];
    params[name].push(value);
  }
  return Object.fromEntries(
    Object.entries(params).map(([name, values]) => [name, values.length === 1 ? values[0]! : values]),
  );
}

export function exitCodeOf(signal: Signal): number {
  if (signal.kind === 'reset') return ExitCode.EPOCH_CHANGED;
  if (signal.kind === 'historyGone') return ExitCode.HISTORY_GONE;
  return signal.status === 401 || signal.status === 403
    ? ExitCode.NOT_AUTHORISED
    : ExitCode.PARAMETER_REFUSED;
}

function describe(signal: Signal): string {
  if (signal.kind === 'reset')
    return `the history changed (epoch now ${signal.epoch ?? 'unknown'}): ${signal.message}`;
  if (signal.kind === 'historyGone')
    return `history gone (oldest kept: ${signal.oldest ?? 'unknown'}): ${signal.message}`;
  return `refused ${signal.status} ${signal.code}: ${signal.message}`;
}

export const tailCommand: Command = {
  usage:
    'tail <stream>[?query] --api-root URL [--since P --epoch E | --epoch E] [--position-file F | --output F] [--token T] [--connect-deadline S]',
  async run(argv) {
    const { positionals, flags } = parseArguments(argv, [
      'api-root',
      'since',
      'epoch',
      'position-file',
      'output',
      'token',
      'connect-deadline',
    ]);
    if (positionals.length !== 1) throw new UsageError('name one stream');
    const apiRoot = flags.get('api-root');
    if (apiRoot === undefined)
      throw new UsageError('--api-root is required (discovery, e.g. http://localhost:9984/api/v1/)');
    if (flags.has('position-file') && flags.has('output'))
      throw new UsageError('--position-file and --output exclude each other');
    const since = flags.get('since');
    const epoch = flags.get('epoch');
    if (since !== undefined && epoch === undefined)
      throw new UsageError('--since needs --epoch (the catalog GET /api/v1/streams names the current one)');
    const deadlineS = Number(flags.get('connect-deadline') ?? 30);
    if (!(deadlineS > 0)) throw new UsageError('--connect-deadline takes a number of seconds > 0');
    const target = positionals[0]!;
    const question = target.indexOf('?');
    const stream = question === -1 ? target : target.slice(0, question);
    const query = question === -1 ? '' : target.slice(question + 1);

    const outputPath = flags.get('output');
    const positionPath = flags.get('position-file');
    const output = outputPath === undefined ? undefined : new OutputFile(outputPath);
    const store: PositionStore =
      output ?? (positionPath === undefined ? new MemoryPositionStore() : new PositionFile(positionPath));
    const key = 'tail';
    if ((await store.load(key)) === undefined && epoch !== undefined) {
      let start: ResumePoint = { epoch, since: since ?? null, delivered: [] };
      if (since === undefined) {
        // --epoch alone: from the head of that history, or exit if it is not the current one.
        const bounds = await readHistoryBounds((url, init) => fetch(url, init), apiRoot).catch(
          () => undefined,
        );
        if (bounds !== undefined && bounds.epoch !== epoch) {
          process.stderr.write(`blockcast tail: epoch ${epoch} is not the current one (${bounds.epoch})\n`);
          return ExitCode.EPOCH_CHANGED;
        }
        if (bounds !== undefined) start = pointAt(bounds, stream as StreamName);
      }
      await store.save(key, start);
    }

    const token = flags.get('token');
    const client = new BlockcastClient({
      apiRoot,
      positionStore: store,
      ...(token === undefined ? {} : { token }),
    });
    const subscription = client.subscribe(stream as 'events', {
      params: paramsOf(query),
      key,
      onEvent: async (event) => {
        output?.append(event.text);
        await new Promise<void>((resolve, reject) =>
          process.stdout.write(`${event.text}\n`, (error) => (error ? reject(error) : resolve())),
        );
      },
    });
    let exitCode: number = ExitCode.DONE;
    let connected = false;
    const deadline = setTimeout(() => {
      process.stderr.write(`blockcast tail: no connection within ${deadlineS} s\n`);
      exitCode = ExitCode.CANNOT_CONNECT;
      void subscription.close();
    }, deadlineS * 1000);
    subscription.on('state', (change) => {
      const cause = [
        change.code,
        change.reason,
        change.delayMs === undefined ? undefined : `retry in ${change.delayMs} ms`,
      ]
        .filter((part) => part !== undefined)
        .join(', ');
      process.stderr.write(`blockcast tail: ${change.state}${cause === '' ? '' : ` (${cause})`}\n`);
      if (change.state === 'open' && !connected) {
        connected = true;
        clearTimeout(deadline);
      }
    });
    subscription.on('signal', (signal) => {
      process.stderr.write(`blockcast tail: ${describe(signal)}\n`);
      exitCode = exitCodeOf(signal);
    });
    subscription.on('error', (error) => {
      process.stderr.write(`blockcast tail: ${(error as Error).message}\n`);
      exitCode = ExitCode.CANNOT_CONNECT;
    });
    const stop = () => void subscription.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await subscription.start();
    clearTimeout(deadline);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    output?.close();
    await client.close();
    return exitCode;
  },
};
