/**
 * `blockcast tail`: the SDK's reference consumer. Every frame on stdout (and in `--output F`)
 * once, in the format asked; the state and errors on stderr; it ends when asked to (a count, a
 * position, the head, a silence) or on a signal, and the exit code says how it ended.
 */
import { existsSync, readFileSync } from 'node:fs';
import { type Position, parsePosition, type StreamName, streamDescription } from '@blockcast/protocol/client';
import { readHistoryBounds } from '../api-root.js';
import { writeAtomically } from '../file-position-store.js';
import { BlockcastClient } from '../node.js';
import { MemoryPositionStore, type PositionStore, parseResumePoint } from '../position-store.js';
import { covers, type ResumePoint } from '../resume-point.js';
import type { Signal } from '../signals.js';
import { pointAt, type StreamEvent, type StreamParams } from '../subscription.js';
import { parseCount, parseDuration } from './arguments.js';
import { ExitCode, exitCodeOfStatus, UsageError } from './exit-codes.js';
import { frameFormat } from './frame-formats.js';
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

/** Thrown by the handler to end before a frame without committing it (`--until`, `--exit-at-head`). */
class StopBeforeFrame extends Error {}

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
  return exitCodeOfStatus(signal.status);
}

function describe(signal: Signal): string {
  if (signal.kind === 'reset')
    return `the history changed (epoch now ${signal.epoch ?? 'unknown'}): ${signal.message}`;
  if (signal.kind === 'historyGone')
    return `history gone (oldest kept: ${signal.oldest ?? 'unknown'}): ${signal.message}`;
  return `refused ${signal.status} ${signal.code}: ${signal.message}`;
}

/** Whether no frame after `position` can still be at or before `until` (one frame per position). */
function lastFrameAt(stream: StreamName, position: Position, until: Position): boolean {
  const exact = position.height === until.height && position.seq === until.seq;
  return exact && (stream === 'valid_blocks' || position.seq > 0);
}

export const tailCommand: Command = {
  name: 'tail',
  summary: 'print every frame of a stream once, in order, from the head or a position',
  usage: 'tail [<stream>[?query]] [options]',
  help: `
Prints every frame of the stream once, in order (the SDK's guarantee: it resumes after every
disconnect without a gap or a repeat). Frames on stdout; state changes and errors on stderr.
Streams: valid_transactions (the default), valid_blocks, valid_tx, invalid_transactions, events
(?types=-1 for every type); filters ?public_key= ?asset_id= ?operation= (docs/protocol.md).

options:
  --api-root URL          discovery's API root (default $BLOCKCAST_API_ROOT or http://localhost:9984/api/v1/)
  -o, --format F          jsonl (the frames as sent; the default when stdout is not a terminal),
                          pretty (field=value; the default on a terminal), csv, or a template
                          such as '{height} {id}' ({id}: the transaction id, or the block hash;
                          also {position} {epoch} {stream}; {{ and }} for braces)
  --envelope              each frame with its position and epoch
                          (jsonl: {"stream","position","epoch","frame"})
  --since P --epoch E     start after position P (H, or H-S on events) of history E
  --epoch E               start at the head, if E is still the current history (else exit 4)
  --position-file F       keep the position in F (rewritten atomically after each frame)
  --output F              append the frames (as sent) to F and keep F.position: a restart
                          resumes right after F's last line
  --token T               for private streams
  --connect-deadline D    give up if the first connection takes longer (default 30s)
stop conditions (exit 0 unless said):
  -c, --count N           after N frames
  --until P               once every frame up to position P is printed: at P on valid_blocks (and
                          at an H-S on events), else at the first frame after P, which is not printed
  --exit-at-head          the same with P the head the catalog names at the start; at once when
                          the start is the head already
  --idle-timeout D        no frame for D (500ms, 5s, 2m): exit 7

exit codes: 0 done (a stop condition, SIGINT/SIGTERM, the reader of stdout gone), 1 usage,
2 cannot connect, 3 history gone, 4 epoch changed, 5 not authorised, 6 stream or parameter
refused, 7 idle timeout

examples:
  blockcast tail valid_transactions
  blockcast tail 'valid_transactions?operation=TRANSFER' -o '{height} {id}'
  blockcast tail 'events?types=-1' --envelope | jq .position
  blockcast tail valid_blocks --since 0 --epoch "$EPOCH" --exit-at-head -o csv > blocks.csv
  blockcast tail valid_transactions --output transactions.jsonl      # resumable
  blockcast tail valid_blocks -c 1 --idle-timeout 10s                # wait for the next block
`,
  options: {
    'api-root': { type: 'string' },
    format: { type: 'string', short: 'o' },
    envelope: { type: 'boolean' },
    since: { type: 'string' },
    epoch: { type: 'string' },
    'position-file': { type: 'string' },
    output: { type: 'string' },
    token: { type: 'string' },
    'connect-deadline': { type: 'string' },
    count: { type: 'string', short: 'c' },
    until: { type: 'string' },
    'exit-at-head': { type: 'boolean' },
    'idle-timeout': { type: 'string' },
  },
  async run({ positionals, flags, switches }, defaults) {
    if (positionals.length > 1) throw new UsageError(`name one stream, not ${positionals.join(' ')}`);
    const apiRoot = flags.get('api-root') ?? defaults.apiRoot;
    if (flags.has('position-file') && flags.has('output'))
      throw new UsageError('--position-file and --output exclude each other');
    const since = flags.get('since');
    const epoch = flags.get('epoch');
    if (since !== undefined && epoch === undefined)
      throw new UsageError('--since needs --epoch (the catalog GET /api/v1/streams names the current one)');
    if (since !== undefined && parsePosition(since) === undefined)
      throw new UsageError(`--since takes a position H or H-S, not ${since}`);
    const deadlineMs = parseDuration('--connect-deadline', flags.get('connect-deadline') ?? '30');
    const count = flags.has('count') ? parseCount('-c/--count', flags.get('count')!) : undefined;
    const idleMs = flags.has('idle-timeout')
      ? parseDuration('--idle-timeout', flags.get('idle-timeout')!)
      : undefined;
    const untilText = flags.get('until');
    let until = untilText === undefined ? undefined : parsePosition(untilText);
    if (untilText !== undefined && until === undefined)
      throw new UsageError(`--until takes a position H or H-S, not ${untilText}`);
    if (untilText !== undefined && switches.has('exit-at-head'))
      throw new UsageError('--until and --exit-at-head exclude each other');
    // The API root's own `streams` URL names valid_transactions: what a BigchainDB client watches.
    const target = positionals[0] ?? 'valid_transactions';
    const question = target.indexOf('?');
    const stream = (question === -1 ? target : target.slice(0, question)) as StreamName;
    const query = question === -1 ? '' : target.slice(question + 1);
    if ((until !== undefined || switches.has('exit-at-head')) && stream === 'valid_tx')
      throw new UsageError(
        'valid_tx frames carry no position: --until and --exit-at-head need another stream',
      );
    const format =
      streamDescription(stream) === undefined
        ? undefined
        : frameFormat(
            flags.get('format') ?? (defaults.tty ? 'pretty' : 'jsonl'),
            stream,
            switches.has('envelope'),
          );

    const outputPath = flags.get('output');
    const positionPath = flags.get('position-file');
    const output = outputPath === undefined ? undefined : new OutputFile(outputPath);
    const store: PositionStore =
      output ?? (positionPath === undefined ? new MemoryPositionStore() : new PositionFile(positionPath));
    const key = 'tail';
    const fetchJson = (url: string, init?: RequestInit) => fetch(url, init);
    if ((await store.load(key)) === undefined && epoch !== undefined) {
      let start: ResumePoint = { epoch, since: since ?? null, delivered: [] };
      if (since === undefined) {
        // --epoch alone: from the head of that history, or exit if it is not the current one.
        const bounds = await readHistoryBounds(fetchJson, apiRoot).catch(() => undefined);
        if (bounds !== undefined && bounds.epoch !== epoch) {
          process.stderr.write(`blockcast tail: epoch ${epoch} is not the current one (${bounds.epoch})\n`);
          return ExitCode.EPOCH_CHANGED;
        }
        if (bounds !== undefined) start = pointAt(bounds, stream);
      }
      await store.save(key, start);
    }
    if (switches.has('exit-at-head')) {
      const bounds = await readHistoryBounds(fetchJson, apiRoot).catch((error: unknown) => {
        process.stderr.write(
          `blockcast tail: --exit-at-head cannot read the catalog: ${(error as Error).message}\n`,
        );
      });
      if (bounds === undefined) return ExitCode.CANNOT_CONNECT;
      const start = (await store.load(key))?.since;
      const from = start === null || start === undefined ? undefined : parsePosition(start);
      // A start without a position is the head itself; an empty stream has nothing to catch up.
      if (bounds.head === null || from === undefined || covers(from, { height: bounds.head, seq: 0 })) {
        process.stderr.write(`blockcast tail: at the head (${bounds.head ?? 'empty stream'}) already\n`);
        return ExitCode.DONE;
      }
      until = { height: bounds.head, seq: 0 };
      process.stderr.write(`blockcast tail: until the head ${bounds.head}\n`);
    }

    const token = flags.get('token');
    const client = new BlockcastClient({
      apiRoot,
      positionStore: store,
      ...(token === undefined ? {} : { token }),
    });
    let exitCode: number = ExitCode.DONE;
    let printed = 0;
    // Set once the last frame asked for is printed: frames already queued behind it are not.
    let stopping = false;
    let idleTimer: NodeJS.Timeout | undefined;
    const armIdle = () => {
      if (idleMs === undefined) return;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        process.stderr.write(
          `blockcast tail: no frame within ${flags.get('idle-timeout')} (--idle-timeout)\n`,
        );
        exitCode = ExitCode.IDLE_TIMEOUT;
        void subscription.close();
      }, idleMs);
    };
    const write = (line: string) =>
      new Promise<void>((resolve, reject) =>
        process.stdout.write(`${line}\n`, (error) => (error ? reject(error) : resolve())),
      );
    // A reader that went away (`| head -n 1`) ends tail like Ctrl-C does.
    process.stdout.on('error', () => {});
    if (format?.header !== undefined) await write(format.header);
    const subscription = client.subscribe(stream as 'events', {
      params: paramsOf(query),
      key,
      onEvent: async (event) => {
        if (stopping) throw new StopBeforeFrame();
        const position = (event as StreamEvent).position;
        if (until !== undefined && position !== undefined && !covers(until, position)) {
          process.stderr.write(`blockcast tail: reached ${untilText ?? 'the head'}\n`);
          throw new StopBeforeFrame();
        }
        output?.append(event.text);
        await write(format!.line(event as StreamEvent));
        printed += 1;
        armIdle();
        if (
          printed === count ||
          (until !== undefined && position !== undefined && lastFrameAt(stream, position, until))
        ) {
          stopping = true;
          void subscription.close();
        }
      },
    });
    const deadline = setTimeout(() => {
      process.stderr.write(`blockcast tail: no connection within ${deadlineMs / 1000} s\n`);
      exitCode = ExitCode.CANNOT_CONNECT;
      void subscription.close();
    }, deadlineMs);
    let connected = false;
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
      if (error instanceof StopBeforeFrame) return;
      if ((error as NodeJS.ErrnoException).code === 'EPIPE') return;
      process.stderr.write(`blockcast tail: ${(error as Error).message}\n`);
      exitCode = ExitCode.CANNOT_CONNECT;
    });
    const stop = () => void subscription.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    armIdle();
    await subscription.start();
    clearTimeout(deadline);
    clearTimeout(idleTimer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    output?.close();
    await client.close();
    return exitCode;
  },
};
