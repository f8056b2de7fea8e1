/**
 * (b) Fan-out: N clients, blocks of K frames at B blocks/s for S seconds after a warm-up; delivered
 * frames/s, append → receive latency, server CPU per 1 000 delivered frames, every client verified.
 */
import { appendOnSchedule, coresBetween, readCpu, waitSettled } from '../../harness/scenario.js';
import { pacedAppend, pacingNote } from './paced-append.js';
import { deliveryNote, latencyFields, type PeerRow, type Session } from './session.js';

export interface FanoutSpec {
  connections: number;
  blocksPerSecond: number;
  txPerBlock: number;
  seconds: number;
  warmupSeconds: number;
  /** After the last block, how long the clients get to receive the rest before it counts as lost. */
  drainMs: number;
}

export function fanoutBlocks(spec: FanoutSpec): number {
  return (spec.warmupSeconds + spec.seconds) * spec.blocksPerSecond;
}

export async function fanoutScenario(session: Session, spec: FanoutSpec): Promise<PeerRow[]> {
  const { server, generators } = session;
  const warmup = spec.warmupSeconds * spec.blocksPerSecond;
  const total = fanoutBlocks(spec);
  const idle = await session.rss(3);
  const connected = await session.connect(spec.connections, {
    txPerBlock: spec.txPerBlock,
    lastHeight: total,
    warmupHeights: warmup,
  });
  const connectedRss = await session.rss(3);
  await appendOnSchedule(server, generators, 0, warmup, spec.blocksPerSecond);
  const cpuBefore = readCpu(server.pids);
  const framesBefore = (await waitSettled(generators, () => 0, cpuBefore.at, 0)).frames;
  // appendOnSchedule starts its schedule 50 ms out.
  const measuredFrom = cpuBefore.at + 50;
  const paced = await pacedAppend(server, generators, warmup, total, spec.blocksPerSecond);
  const drained = await waitSettled(
    generators,
    () => total,
    cpuBefore.at,
    spec.drainMs + spec.seconds * 1000,
  );
  const cpu = coresBetween(cpuBefore, readCpu(server.pids));
  const report = await session.report();
  // Frames that arrived in the measured window, whichever heights they were (a server behind is still sending warm-up).
  const timedFrames = report.frames - framesBefore;
  const drainNote = drained.reached
    ? ''
    : `; not all delivered ${(spec.drainMs / 1000).toFixed(0)} s after the last block`;
  return [
    {
      server: session.name,
      connections: spec.connections,
      offeredFramesPerSecond: spec.connections * spec.txPerBlock * spec.blocksPerSecond,
      // As bench/scenarios/gateway-fanout.bench.ts: each measured block occupies one interval, up to the last arrival.
      deliveredFramesPerSecond:
        timedFrames / ((report.lastArrivalMs - measuredFrom + 1000 / spec.blocksPerSecond) / 1000),
      ...latencyFields(report.latency),
      cpuSecondsPerThousandFrames: timedFrames === 0 ? Number.NaN : (cpu.processSeconds / timedFrames) * 1000,
      // A delta at or below zero is heap noise (a server that holds sockets in C++ memory barely moves): none.
      rssBytesPerConnection:
        connected.open === 0 || connectedRss <= idle ? null : (connectedRss - idle) / connected.open,
      serverRssBytes: connectedRss,
      lost: report.lost,
      duplicated: report.duplicated,
      reordered: report.reordered,
      recovered: null,
      note: `${deliveryNote(report)}; server ${cpu.processCores.toFixed(2)} cores, machine ${cpu.machineCores.toFixed(2)}${drainNote}${pacingNote(paced, spec.blocksPerSecond)}`,
      heldConnections: connected.open,
      serverProcesses: session.processes,
    },
  ];
}
