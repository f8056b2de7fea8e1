/** (a) Idle capacity: N clients subscribed, no blocks; connections held and RSS per connection. */
import { NO_LATENCY, type PeerRow, type Session } from './session.js';

export async function idleScenario(session: Session, count: number): Promise<PeerRow[]> {
  const before = await session.rss(10);
  const connected = await session.connect(count, { txPerBlock: 1, lastHeight: 1, warmupHeights: 1 });
  const after = await session.rss(3);
  const failures = connected.failed > 0 ? `; ${connected.failed} failed: ${connected.errors[0] ?? ''}` : '';
  return [
    {
      server: session.name,
      connections: count,
      offeredFramesPerSecond: 0,
      deliveredFramesPerSecond: 0,
      ...NO_LATENCY,
      cpuSecondsPerThousandFrames: Number.NaN,
      rssBytesPerConnection: connected.open === 0 ? null : (after - before) / connected.open,
      serverRssBytes: after,
      lost: 0,
      duplicated: 0,
      reordered: 0,
      recovered: null,
      note: `held ${connected.open}/${count} on ${session.processes} process(es), connected in ${connected.seconds.toFixed(1)} s${failures}`,
      heldConnections: connected.open,
      serverProcesses: session.processes,
    },
  ];
}
