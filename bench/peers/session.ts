/**
 * One server under test in bench/peers-compare.ts with its load generators: start it, read its
 * RSS and CPU, connect clients in the peer's protocol, append blocks, and turn the generators'
 * verdicts into a results row. A scenario runs inside `withSession` and returns rows.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { type Generator, settledRss } from '../gateway-bench-processes.js';
import { rssBytes } from '../gateway-bench-shared.js';
import {
  type Connected,
  type ConnectSpec,
  collectReports,
  connectClients,
  type Latency,
  log,
  type MergedReport,
  newGenerators,
  sourceAddresses,
} from '../gateway-scenario.js';
import type { PeerServer } from './peer-server.js';
import { type PeerName, type PeerOptions, startPeer } from './servers.js';

/** One row of bench/results/peers-<scenario>.json (the plot script reads these names). */
export interface PeerRow {
  server: PeerName;
  connections: number;
  offeredFramesPerSecond: number;
  deliveredFramesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  cpuSecondsPerThousandFrames: number;
  rssBytesPerConnection: number | null;
  serverRssBytes: number;
  lost: number;
  duplicated: number;
  reordered: number;
  recovered: boolean | null;
  note: string;
  /** Connections the server held (open at the end of connecting), and how many processes held them. */
  heldConnections: number;
  serverProcesses: number;
}

export const NO_LATENCY = { p50Ms: Number.NaN, p99Ms: Number.NaN, maxMs: Number.NaN };

/** A row's latency fields; none (NaN, null in JSON) when no timed frame arrived at all. */
export function latencyFields(latency: Latency): Pick<PeerRow, 'p50Ms' | 'p99Ms' | 'maxMs'> {
  if (latency.count === 0) return NO_LATENCY;
  return { p50Ms: latency.p50, p99Ms: latency.p99, maxMs: latency.max };
}

export interface Session {
  name: PeerName;
  server: PeerServer;
  generators: Generator[];
  processes: number;
  /** Connects `count` clients in the peer's protocol on fresh source addresses. */
  connect(
    count: number,
    spec: Omit<ConnectSpec, 'count' | 'urls' | 'addresses' | 'clientKind' | 'concurrency'> & {
      concurrency?: number;
    },
  ): Promise<Connected>;
  /** RSS of the server processes, settled (after full GCs where the server is Node). */
  rss(minRounds: number): Promise<number>;
  report(): Promise<MergedReport>;
}

export interface SessionContext {
  options: Omit<PeerOptions, 'processes'>;
  processes: number;
  generators: number;
  redis: Redis;
}

/** Source addresses 127.0.0.x, fresh for every connect of the run: TIME_WAIT sockets slow binding. */
let nextAddress = 0;
function freshAddresses(n: number): string[] {
  if (nextAddress + n > 250) nextAddress = 0;
  const addresses = sourceAddresses(nextAddress, n);
  nextAddress += n;
  return addresses;
}

export async function withSession(
  name: PeerName,
  context: SessionContext,
  run: (session: Session) => Promise<PeerRow[]>,
): Promise<PeerRow[]> {
  log(`\n== ${name}: ${context.processes} server process(es)`);
  let server: PeerServer;
  try {
    server = await startPeer(name, { ...context.options, processes: context.processes });
  } catch (error) {
    log(`${name} did not start: ${(error as Error).message}`);
    return [failedRow(name, `did not start: ${(error as Error).message}`, context.processes)];
  }
  const generators = newGenerators(context.generators);
  const session: Session = {
    name,
    server,
    generators,
    processes: context.processes,
    async connect(count, spec) {
      const since = spec.since ?? 0;
      const query = since > 0 && server.resumeQuery !== undefined ? await server.resumeQuery(since) : '';
      const perGenerator = generators.map(() => freshAddresses(2));
      return connectClients(generators, {
        concurrency: 128,
        ...spec,
        count,
        clientKind: server.clientKind,
        urls: () => server.urls.map((url) => withQuery(url, query)),
        addresses: (g) => perGenerator[g]!,
      });
    },
    async rss(minRounds) {
      if (server.collectsGarbageOnSignal) return settledRss(server.pids, minRounds);
      return plainSettledRss(server.pids, minRounds);
    },
    report: () => collectReports(generators),
  };
  try {
    return await run(session);
  } catch (error) {
    log(`${name} failed: ${(error as Error).stack}`);
    return [failedRow(name, `failed: ${(error as Error).message}`, context.processes)];
  } finally {
    await Promise.all(generators.map((g) => g.stop()));
    await server.stop();
    await delay(1000);
  }
}

/** `url` with `query` ("?since=N&epoch=E") appended, after any query it has. */
function withQuery(url: string, query: string): string {
  if (query === '') return url;
  return url.includes('?') ? `${url}&${query.slice(1)}` : `${url}${query}`;
}

/** RSS without a GC signal (Go, Python): one reading a second until three agree within 0.5 %. */
async function plainSettledRss(pids: number[], minRounds: number): Promise<number> {
  const readings: number[] = [];
  for (let round = 0; round < 20; round++) {
    await delay(1000);
    readings.push(pids.reduce((sum, pid) => sum + rssBytes(pid), 0));
    const last = readings.slice(-3);
    const spread = Math.max(...last) - Math.min(...last);
    if (round + 1 >= minRounds && last.length === 3 && spread <= last[2]! * 0.005) break;
  }
  return readings.at(-1)!;
}

export function failedRow(server: PeerName, note: string, processes: number): PeerRow {
  return {
    server,
    connections: 0,
    offeredFramesPerSecond: 0,
    deliveredFramesPerSecond: 0,
    ...NO_LATENCY,
    cpuSecondsPerThousandFrames: Number.NaN,
    rssBytesPerConnection: null,
    serverRssBytes: 0,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    recovered: null,
    note,
    heldConnections: 0,
    serverProcesses: processes,
  };
}

/** "recovered" of a row: null where the peer has no recovery, else whether every resuming client got it. */
export function recoveredOf(server: PeerServer, report: MergedReport): boolean | null {
  if (server.recovery === undefined) return null;
  if (report.recovery.asked === 0) return report.lost === 0 && report.reordered === 0;
  return report.recovery.recovered === report.recovery.asked && report.lost === 0;
}

/** The delivery verdict in words, for the note. */
export function deliveryNote(report: MergedReport): string {
  const closed = report.closedByServer > 0 ? `, ${report.closedByServer} closed by the server` : '';
  const examples = report.problems.length > 0 ? ` (e.g. ${report.problems.slice(0, 2).join('; ')})` : '';
  return `${report.complete}/${report.clients} clients complete${closed}${examples}`;
}
