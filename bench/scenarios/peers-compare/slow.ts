/**
 * (d) Slow consumers: N clients at B blocks/s × K; after a phase with everyone reading, one client
 * in `every` stops reading for P seconds, then reads again. The others' latency per phase, and
 * every client's delivery — the paused ones too (a server may close them, as Centrifugo does).
 */
import { appendOnSchedule, coresBetween, readCpu, waitSettled } from '../../harness/scenario.js';
import { pacedAppend, pacingNote } from './paced-append.js';
import { deliveryNote, latencyFields, type PeerRow, type Session } from './session.js';

export interface SlowSpec {
  connections: number;
  blocksPerSecond: number;
  txPerBlock: number;
  stalledPercent: number;
  beforeSeconds: number;
  pauseSeconds: number;
  afterSeconds: number;
}

const WARMUP_SECONDS = 2;
const SETTLE_MS = 10_000;

function heights(spec: SlowSpec) {
  const warmup = WARMUP_SECONDS * spec.blocksPerSecond;
  const pause = warmup + spec.beforeSeconds * spec.blocksPerSecond;
  const resume = pause + spec.pauseSeconds * spec.blocksPerSecond;
  return { warmup, pause, resume, total: resume + spec.afterSeconds * spec.blocksPerSecond };
}

export function slowBlocks(spec: SlowSpec): number {
  return heights(spec).total;
}

export async function slowScenario(session: Session, spec: SlowSpec): Promise<PeerRow[]> {
  const { server, generators } = session;
  const { warmup, pause, resume, total } = heights(spec);
  const rate = spec.blocksPerSecond;
  const connected = await session.connect(spec.connections, {
    txPerBlock: spec.txPerBlock,
    lastHeight: total,
    warmupHeights: warmup,
    phaseStarts: [pause + 1, resume + 1],
  });
  const connectedRss = await session.rss(3);
  await appendOnSchedule(server, generators, 0, warmup, rate);
  const cpuBefore = readCpu(server.pids);
  await appendOnSchedule(server, generators, warmup, pause, rate);
  for (const generator of generators)
    generator.send({ type: 'pause', every: Math.round(100 / spec.stalledPercent) });
  // Unbounded: the phase after it starts at `resume`, so every block of this one must go out.
  const paced = await pacedAppend(server, generators, pause, resume, rate, false);
  for (const generator of generators) generator.send({ type: 'resume' });
  await appendOnSchedule(server, generators, resume, total, rate);
  const settled = await waitSettled(generators, () => total, cpuBefore.at, SETTLE_MS);
  const cpu = coresBetween(cpuBefore, readCpu(server.pids));
  const report = await session.report();
  const [before, paused, after] = report.phaseLatency as [
    typeof report.latency,
    typeof report.latency,
    typeof report.latency,
  ];
  const frames = Math.max(0, report.frames - connected.open * warmup * spec.txPerBlock);
  const p = report.paused;
  return [
    {
      server: session.name,
      connections: spec.connections,
      offeredFramesPerSecond: spec.connections * spec.txPerBlock * rate,
      deliveredFramesPerSecond: frames / ((report.lastArrivalMs - cpuBefore.at - 50 + 1000 / rate) / 1000),
      // The reading clients while the others are paused: what a slow consumer costs its neighbours.
      ...latencyFields(paused),
      cpuSecondsPerThousandFrames: frames === 0 ? Number.NaN : (cpu.processSeconds / frames) * 1000,
      // At a few hundred to 2 000 clients a 3-reading RSS delta is heap noise (it came out negative): see the idle scenario.
      rssBytesPerConnection: null,
      serverRssBytes: connectedRss,
      lost: report.lost,
      duplicated: report.duplicated,
      reordered: report.reordered,
      recovered: null,
      note:
        `reading clients' p99 ${before.p99} ms before, ${paused.p99} while ${spec.stalledPercent} % paused ${spec.pauseSeconds} s, ${after.p99} after; ` +
        `paused ${p.clients}: ${p.complete} complete, ${p.closedByServer} closed by the server; ${deliveryNote(report)}` +
        (settled.reached ? '' : `; not all delivered ${SETTLE_MS / 1000} s after the last block`) +
        pacingNote(paced, rate),
      heldConnections: connected.open,
      serverProcesses: session.processes,
    },
  ];
}
