/**
 * (e) Reconnect storm: N clients live at B blocks/s × K; then every connection is cut at once and
 * every client reconnects at once, resuming R blocks back (head − R) the way the server offers it
 * (blockcast `since`, Centrifugo recover with offset + epoch, Socket.IO connection state recovery
 * with its pid + offset) while blocks keep coming. A server without recovery gets fresh
 * subscribers, and the verifier counts what they missed: "no recovery: N events lost".
 */
import { monotonicMs } from '../../harness/proc.js';
import { appendOnSchedule, coresBetween, log, readCpu, waitSettled } from '../../harness/scenario.js';
import { deliveryNote, latencyFields, type PeerRow, recoveredOf, type Session } from './session.js';

export interface StormSpec {
  connections: number;
  blocksPerSecond: number;
  txPerBlock: number;
  /** Blocks each client resumes behind the head. */
  back: number;
  steadySeconds: number;
  stormSeconds: number;
}

const WARMUP_BLOCKS = 4;
const SETTLE_MS = 15_000;

function heights(spec: StormSpec) {
  const live = WARMUP_BLOCKS + spec.back + spec.steadySeconds * spec.blocksPerSecond;
  return { live, total: live + spec.stormSeconds * spec.blocksPerSecond };
}

export function stormBlocks(spec: StormSpec): number {
  return heights(spec).total;
}

export async function stormScenario(session: Session, spec: StormSpec): Promise<PeerRow[]> {
  const { server, generators } = session;
  const { live, total } = heights(spec);
  const rate = spec.blocksPerSecond;
  const common = {
    txPerBlock: spec.txPerBlock,
    lastHeight: total,
    warmupHeights: 0,
    phaseStarts: [live + 1],
  };
  await session.connect(spec.connections, common);
  const connectedRss = await session.rss(3);
  await appendOnSchedule(server, generators, 0, live, rate);
  const beforeStorm = await waitSettled(generators, () => live, monotonicMs(), SETTLE_MS);
  if (!beforeStorm.reached) log(`${session.name}: clients not at ${live} before the storm`);

  let head = live;
  const since = live - spec.back;
  const cpuBefore = readCpu(server.pids);
  for (const generator of generators) generator.send({ type: 'drop' });
  const appending = appendOnSchedule(server, generators, live, total, rate, (i) => {
    head = i + 1;
  });
  const reconnected = await session.connect(spec.connections, { ...common, since, concurrency: 1000 });
  const atHead = await waitSettled(generators, () => head, cpuBefore.at, SETTLE_MS, 20);
  const cpu = coresBetween(cpuBefore, readCpu(server.pids));
  await appending;
  await waitSettled(generators, () => total, monotonicMs(), SETTLE_MS);
  const report = await session.report();
  const stormLatency = report.phaseLatency[1]!;
  const stormFrames = atHead.frames - beforeStorm.frames;
  const recovered = recoveredOf(server, report);
  const verdict =
    server.recovery === undefined
      ? `no recovery: ${report.lost} events lost`
      : `${server.recovery}: ${report.recovery.asked === 0 ? 'by URL' : `${report.recovery.recovered}/${report.recovery.asked} recovered`}, ${report.lost} events lost`;
  return [
    {
      server: session.name,
      connections: spec.connections,
      offeredFramesPerSecond: spec.connections * spec.txPerBlock * rate,
      // Replay plus live frames the reconnected clients got until every one of them was at the head.
      deliveredFramesPerSecond: stormFrames / (atHead.ms / 1000),
      // Blocks appended during the storm, append → receive on the reconnected clients.
      ...latencyFields(stormLatency),
      cpuSecondsPerThousandFrames: stormFrames <= 0 ? Number.NaN : (cpu.processSeconds / stormFrames) * 1000,
      // At a few hundred to 2 000 clients a 3-reading RSS delta is heap noise (it came out negative): see the idle scenario.
      rssBytesPerConnection: null,
      serverRssBytes: connectedRss,
      lost: report.lost,
      duplicated: report.duplicated,
      reordered: report.reordered,
      recovered,
      note:
        `${verdict}; ${reconnected.open}/${spec.connections} reconnected in ${reconnected.seconds.toFixed(1)} s from ${spec.back} blocks back; ` +
        `all at head: ${atHead.reached} after ${(atHead.ms / 1000).toFixed(2)} s; ${deliveryNote(report)}`,
      heldConnections: reconnected.open,
      serverProcesses: session.processes,
    },
  ];
}
