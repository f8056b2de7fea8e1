/**
 * What the gateway scenario benches (slow consumers, reconnect storm, filter cost) share with
 * each other and with bench/scenarios/gateway-fanout.bench.ts: load generators connected in bulk, blocks appended
 * on an absolute schedule with their send times announced, waiting until every client holds a
 * height, merged reports (delivery checks, latency per phase) and the results file.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import type { RunningServer } from '../servers/servers.js';
import type { GeneratorCommand, GeneratorReport } from './messages.js';
import { cpuSeconds, machineJiffies, monotonicMs } from './proc.js';
import { Generator, machineInfo } from './processes.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CPUS = availableParallelism();
export const log = (line: string) => process.stderr.write(`${line}\n`);

/** The driver and everything it starts (Redis, load generators) on CPU 1; servers go on CPU 0. */
export function pinDriver(pin: boolean): Record<string, string | number> {
  // Read before pinning: once pinned, availableParallelism() says 1.
  const machine = machineInfo();
  if (pin) execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  log(JSON.stringify(machine));
  return machine;
}

export function serverPin(pin: boolean): string[] {
  return pin ? ['taskset', '-c', '0'] : [];
}

export type ConnectSpec = Omit<
  Extract<GeneratorCommand, { type: 'connect' }>,
  'type' | 'count' | 'urls' | 'localAddresses'
> & {
  count: number;
  /** URLs for generator g; its client i uses urls[i % length]. */
  urls(g: number): string[];
  /** Source addresses for generator g. */
  addresses(g: number): string[];
};

export interface Connected {
  open: number;
  failed: number;
  seconds: number;
  errors: string[];
}

/** Splits `count` clients over the generators and waits until each has tried all of its share. */
export async function connectClients(generators: Generator[], spec: ConnectSpec): Promise<Connected> {
  const { count, urls, addresses, ...rest } = spec;
  const replies = await Promise.all(
    generators.map((generator, g) =>
      generator.ask(
        {
          ...rest,
          type: 'connect',
          urls: urls(g),
          localAddresses: addresses(g),
          count: Math.floor(count / generators.length) + (g < count % generators.length ? 1 : 0),
        },
        'connected',
        180_000,
      ),
    ),
  );
  const connected = {
    open: replies.reduce((sum, r) => sum + r.open, 0),
    failed: replies.reduce((sum, r) => sum + r.failed, 0),
    seconds: Math.max(...replies.map((r) => r.seconds)),
    errors: replies.flatMap((r) => r.errors).slice(0, 10),
  };
  log(
    `connected ${connected.open}/${count} in ${connected.seconds.toFixed(1)} s, ${connected.failed} failed`,
  );
  for (const error of connected.errors.slice(0, 5)) log(`  ${error}`);
  return connected;
}

/** Source addresses 127.0.0.<base + 1 … base + n>: fresh ones per phase dodge TIME_WAIT sockets. */
export function sourceAddresses(base: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `127.0.0.${base + i + 1}`);
}

/**
 * Appends blocks [from, to) (indices into the server's events; height = index + 1) at `perSecond`
 * on an absolute schedule, telling the generators each append's monotonic time. `perSecond` 0
 * appends back to back. `onBlock` runs after each append (RSS samples, phase changes).
 */
export async function appendOnSchedule(
  server: RunningServer,
  generators: Generator[],
  from: number,
  to: number,
  perSecond: number,
  onBlock?: (index: number) => void | Promise<void>,
): Promise<void> {
  const t0 = monotonicMs() + 50;
  for (let i = from; i < to; i++) {
    if (perSecond > 0) {
      const wait = t0 + ((i - from) * 1000) / perSecond - monotonicMs();
      if (wait > 0) await delay(wait);
    }
    const atMs = monotonicMs();
    for (const generator of generators) generator.send({ type: 'sent', height: i + 1, atMs });
    await server.deliver(i);
    await onBlock?.(i);
  }
}

export interface Settled {
  reached: boolean;
  ms: number;
  frames: number;
  settledHeightMin: number;
  open: number;
}

/** Polls until every open client holds `height` completely (or the timeout); ms from `since`. */
export async function waitSettled(
  generators: Generator[],
  height: () => number,
  since: number,
  timeoutMs: number,
  pollMs = 50,
): Promise<Settled> {
  const deadline = monotonicMs() + timeoutMs;
  for (;;) {
    const progress = await Promise.all(
      generators.map((g) => g.ask({ type: 'progress' }, 'progress', 10_000)),
    );
    const now = monotonicMs();
    const settled: Settled = {
      reached: false,
      ms: now - since,
      frames: progress.reduce((sum, p) => sum + p.frames, 0),
      settledHeightMin: Math.min(
        ...progress.map((p) => (p.open === 0 ? Number.POSITIVE_INFINITY : p.settledHeightMin)),
      ),
      open: progress.reduce((sum, p) => sum + p.open, 0),
    };
    settled.reached = settled.open > 0 && settled.settledHeightMin >= height();
    if (settled.reached || now > deadline) return settled;
    await delay(pollMs);
  }
}

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  count: number;
}

export function latencyOf(histogram: hdr.Histogram): Latency {
  const ms = (us: number) => Math.round(us) / 1000;
  return {
    p50: ms(histogram.getValueAtPercentile(50)),
    p90: ms(histogram.getValueAtPercentile(90)),
    p99: ms(histogram.getValueAtPercentile(99)),
    p999: ms(histogram.getValueAtPercentile(99.9)),
    max: ms(histogram.maxValue),
    count: histogram.totalCount,
  };
}

function merged(encoded: string[]): hdr.Histogram {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000 });
  for (const one of encoded) histogram.add(hdr.decodeFromCompressedBase64(one));
  return histogram;
}

/** Every generator's report summed (counts), min/max (heights), latest (lastArrivalMs: any generator's last frame). */
export interface MergedReport
  extends Pick<
    GeneratorReport,
    | 'clients'
    | 'open'
    | 'frames'
    | 'complete'
    | 'orderErrors'
    | 'incomplete'
    | 'closedByServer'
    | 'lastHeightMin'
    | 'lastHeightMax'
    | 'paused'
    | 'lost'
    | 'duplicated'
    | 'reordered'
    | 'recovery'
    | 'lastArrivalMs'
  > {
  latency: Latency;
  phaseLatency: Latency[];
  /** p99 ms of each height's frames over every generator (heights that were timed, with blockLatency). */
  blockP99Ms: Record<number, number>;
  problems: string[];
  generatorCpuSeconds: number;
}

function blockP99s(reports: GeneratorReport[]): Record<number, number> {
  const heights = new Set(reports.flatMap((r) => Object.keys(r.blockHistograms ?? {}).map(Number)));
  const result: Record<number, number> = {};
  for (const height of [...heights].sort((a, b) => a - b)) {
    const encoded = reports.flatMap((r) => r.blockHistograms?.[height] ?? []);
    result[height] = Math.round(merged(encoded).getValueAtPercentile(99)) / 1000;
  }
  return result;
}

/** Every generator's report, summed, with latency merged over processes (overall and per phase). */
export async function collectReports(generators: Generator[]): Promise<MergedReport> {
  const reports = await Promise.all(generators.map((g) => g.ask({ type: 'report' }, 'report', 60_000)));
  const sum = (pick: (r: GeneratorReport) => number) => reports.reduce((total, r) => total + pick(r), 0);
  const phases = reports[0]!.phaseHistograms.length;
  return {
    clients: sum((r) => r.clients),
    open: sum((r) => r.open),
    frames: sum((r) => r.frames),
    complete: sum((r) => r.complete),
    orderErrors: sum((r) => r.orderErrors),
    incomplete: sum((r) => r.incomplete),
    closedByServer: sum((r) => r.closedByServer),
    lastHeightMin: Math.min(...reports.map((r) => r.lastHeightMin)),
    lastHeightMax: Math.max(...reports.map((r) => r.lastHeightMax)),
    paused: {
      clients: sum((r) => r.paused.clients),
      complete: sum((r) => r.paused.complete),
      orderErrors: sum((r) => r.paused.orderErrors),
      closedByServer: sum((r) => r.paused.closedByServer),
    },
    lost: sum((r) => r.lost),
    duplicated: sum((r) => r.duplicated),
    reordered: sum((r) => r.reordered),
    recovery: { asked: sum((r) => r.recovery.asked), recovered: sum((r) => r.recovery.recovered) },
    lastArrivalMs: Math.max(...reports.map((r) => r.lastArrivalMs)),
    latency: latencyOf(merged(reports.map((r) => r.histogram))),
    phaseLatency: Array.from({ length: phases }, (_, i) =>
      latencyOf(merged(reports.map((r) => r.phaseHistograms[i]!))),
    ),
    blockP99Ms: blockP99s(reports),
    problems: reports.flatMap((r) => r.problems).slice(0, 20),
    generatorCpuSeconds: sum((r) => r.cpuSeconds),
  };
}

/** CPU seconds of the given processes and of the whole machine, to subtract two readings. */
export interface CpuReading {
  processes: number;
  machineBusy: number;
  machineTotal: number;
  at: number;
}

export function readCpu(pids: number[]): CpuReading {
  const machine = machineJiffies();
  return {
    processes: pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0),
    machineBusy: machine.busy,
    machineTotal: machine.total,
    at: monotonicMs(),
  };
}

/** Cores the processes used between two readings, and cores the whole machine used. */
export function coresBetween(before: CpuReading, after: CpuReading) {
  const seconds = (after.at - before.at) / 1000;
  return {
    seconds,
    processSeconds: after.processes - before.processes,
    processCores: (after.processes - before.processes) / seconds,
    machineCores:
      ((after.machineBusy - before.machineBusy) / (after.machineTotal - before.machineTotal)) * CPUS,
  };
}

/** The arguments as given, for the results file. */
export function commandLine(script: string): string {
  return `npx tsx ${script} ${process.argv.slice(2).join(' ')}`.trim();
}

/** Writes bench/results/<name>.json and says where. */
export function writeResult(name: string, result: object): void {
  const dir = join(REPO_ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), ...result }, null, 2)}\n`);
  log(`wrote ${file}`);
}

export function integerOption(name: string, value: string, min: number, max: number): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max)
    throw new RangeError(`--${name} must be an integer in [${min}, ${max}], got ${value}`);
  return number;
}

export function newGenerators(count: number): Generator[] {
  return Array.from({ length: count }, () => new Generator());
}
