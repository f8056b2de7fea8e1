/**
 * The shape every fault scenario shares: a topology, a hundred or more clients from since=0 and
 * a steady sender, all stopped with the test; a warm-up; the fault (the scenario's own); then
 * more blocks, every client complete, and the verifier over all of it.
 */
import type { TestContext } from 'node:test';
import { waitUntil } from '@blockcast/devkit';
import { BlockSender } from './block-sender.js';
import { ChaosClients, type ClientTuning } from './chaos-clients.js';
import { type ScenarioOutcome, verifyScenario } from './chaos-report.js';
import { ChaosTopology, type ChaosTopologyOptions } from './chaos-topology.js';

export interface ChaosRun {
  topology: ChaosTopology;
  sender: BlockSender;
  clients: ChaosClients;
}

export interface ScenarioOptions extends ChaosTopologyOptions {
  /** Default 120. */
  clients?: number;
  tuning?: ClientTuning;
}

/** Blocks acknowledged before the fault, so every client is well into its stream. */
const WARM_UP_BLOCKS = 40;

/** Everything running and 40 blocks delivered; stopped (clients, then processes) after the test. */
export async function startScenario(t: TestContext, options: ScenarioOptions = {}): Promise<ChaosRun> {
  const topology = await ChaosTopology.start(options);
  const sender = new BlockSender({ ingestUrl: topology.ingestUrl, token: topology.token });
  let clients: ChaosClients | undefined;
  t.after(async () => {
    await sender.stop().catch(() => undefined);
    await clients?.stop();
    await topology.stop();
  });
  sender.start();
  // The documented rule: read the epoch before the first connection (the first block makes it).
  await waitUntil(() => sender.acknowledged >= 1, 20_000, 'the first block acknowledged');
  const epoch = await topology.epoch();
  if (epoch === null) throw new Error('the stream has a block but no epoch');
  clients = await ChaosClients.connect(topology.gatewayUrls, options.clients ?? 120, epoch, options.tuning);
  await waitUntil(
    () => sender.acknowledged >= WARM_UP_BLOCKS,
    20_000,
    `the first ${WARM_UP_BLOCKS} blocks acknowledged`,
  );
  return { topology, sender, clients };
}

/** `more` blocks after now, then the sender stops, every client completes and is verified. */
export async function finishScenario(
  t: TestContext,
  scenario: string,
  run: ChaosRun,
  recoveryMs: number,
  more = 30,
): Promise<ScenarioOutcome> {
  const target = run.sender.acknowledged + more;
  await waitUntil(() => run.sender.acknowledged >= target, 30_000, `${more} more blocks acknowledged`);
  const final = await run.sender.stop();
  await run.clients.complete(run.sender.chain, final, 30_000);
  return verifyScenario(t, scenario, run.topology, run.sender, run.clients, recoveryMs);
}
