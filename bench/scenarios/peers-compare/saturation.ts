/**
 * (c) Saturation: N clients, the offered rate raised step by step (blocks of K frames at each
 * step's blocks/s) until a step's p99 passes 1 s or its frames are not all delivered within a
 * drain window; the highest step that passed is the server's highest sustained rate.
 */
import { coresBetween, readCpu, waitSettled } from '../../harness/scenario.js';
import { pacedAppend, pacingNote } from './paced-append.js';
import { latencyFields, type PeerRow, type Session } from './session.js';

export interface SaturationSpec {
  connections: number;
  txPerBlock: number;
  /** Blocks/s of each step, in order. */
  steps: number[];
  stepSeconds: number;
}

const P99_LIMIT_MS = 1000;
const DRAIN_MS = 3000;

export function saturationBlocks(spec: SaturationSpec): number {
  return spec.steps.reduce((sum, perSecond) => sum + perSecond * spec.stepSeconds, 0);
}

export async function saturationScenario(session: Session, spec: SaturationSpec): Promise<PeerRow[]> {
  const { server, generators } = session;
  const bounds: number[] = [];
  for (const perSecond of spec.steps) bounds.push((bounds.at(-1) ?? 0) + perSecond * spec.stepSeconds);
  const connected = await session.connect(spec.connections, {
    txPerBlock: spec.txPerBlock,
    lastHeight: bounds.at(-1)!,
    warmupHeights: 0,
    // Step k's latency goes to histogram k: its first height is the previous step's last + 1.
    phaseStarts: bounds.slice(0, -1).map((bound) => bound + 1),
  });
  const connectedRss = await session.rss(3);
  const rows: PeerRow[] = [];
  let lostBefore = 0;
  let framesBefore = 0;
  let passed: PeerRow | undefined;
  for (const [step, perSecond] of spec.steps.entries()) {
    const from = step === 0 ? 0 : bounds[step - 1]!;
    const to = bounds[step]!;
    const cpuBefore = readCpu(server.pids);
    const paced = await pacedAppend(server, generators, from, to, perSecond);
    const settled = await waitSettled(
      generators,
      () => paced.to,
      cpuBefore.at,
      spec.stepSeconds * 1500 + DRAIN_MS,
    );
    const cpu = coresBetween(cpuBefore, readCpu(server.pids));
    const report = await session.report();
    const latency = report.phaseLatency[step]!;
    const frames = settled.frames - framesBefore;
    const lost = report.lost - lostBefore;
    framesBefore = settled.frames;
    lostBefore = report.lost;
    const sustained = paced.kept && settled.reached && lost === 0 && latency.p99 <= P99_LIMIT_MS;
    const verdict = sustained
      ? 'sustained'
      : !paced.kept
        ? `publishing fell behind${pacingNote(paced, perSecond)}`
        : !settled.reached
          ? `not all delivered ${DRAIN_MS / 1000} s after the step`
          : lost > 0
            ? `${lost} frames lost`
            : `p99 over ${P99_LIMIT_MS} ms`;
    const row: PeerRow = {
      server: session.name,
      connections: spec.connections,
      offeredFramesPerSecond: spec.connections * spec.txPerBlock * perSecond,
      deliveredFramesPerSecond:
        frames / ((report.lastArrivalMs - cpuBefore.at - 50 + 1000 / perSecond) / 1000),
      ...latencyFields(latency),
      cpuSecondsPerThousandFrames: frames === 0 ? Number.NaN : (cpu.processSeconds / frames) * 1000,
      // At a few hundred to 2 000 clients a 3-reading RSS delta is heap noise (it came out negative): see the idle scenario.
      rssBytesPerConnection: null,
      serverRssBytes: connectedRss,
      lost,
      duplicated: report.duplicated,
      reordered: report.reordered,
      recovered: null,
      note: `step ${step + 1}: ${perSecond} blocks/s: ${verdict}; ${report.closedByServer} closed by the server; server ${cpu.processCores.toFixed(2)} cores`,
      heldConnections: connected.open,
      serverProcesses: session.processes,
    };
    rows.push(row);
    if (!sustained) break;
    passed = row;
  }
  if (passed !== undefined) passed.note = `highest sustained; ${passed.note}`;
  return rows;
}
