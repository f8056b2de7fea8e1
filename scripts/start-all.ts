/**
 * `npm start`: the whole of blockcast in one process — ingest, a gateway, discovery — on the
 * embedded memory log (or Redis when REDIS_URL is set), plus a demo chain committing realistic
 * BigchainDB transactions every second, so events flow on a fresh machine with nothing else.
 * Every variable in docs/configuration.md applies here as in the separate services.
 */
import { randomBytes } from 'node:crypto';
import { closeOnSignals, createLogger, readLogLevel, runMain } from '@blockcast/common';
import { DemoChain, loadDemoChainConfig } from '@blockcast/demo-chain';
import { cliCommands } from '@blockcast/devkit';
import { buildDiscoveryApp, loadDiscoveryConfig } from '@blockcast/discovery';
import { buildGatewayApp, loadGatewayConfig } from '@blockcast/gateway';
import { buildIngestApp, loadIngestConfig, openIngestLog } from '@blockcast/ingest';

await runMain('blockcast', async () => {
  const env = process.env;
  // A token made up for this run, so the ingest API is never open even on a laptop.
  const token = env.INGEST_TOKENS?.split(',')[0]?.trim() || randomBytes(24).toString('hex');
  const ingestConfig = loadIngestConfig({ ...env, INGEST_TOKENS: env.INGEST_TOKENS?.trim() || token });
  // No load balancer to wait for in one process: Ctrl-C drains at once unless told otherwise.
  // One gateway, so its port is bound exclusively: a second `npm start` on the same port fails
  // instead of silently sharing it (SO_REUSEPORT) and splitting clients between two chains.
  const gatewayConfig = loadGatewayConfig({
    GATEWAY_DRAIN_DELAY_MS: '0',
    GATEWAY_EXCLUSIVE_PORT: 'true',
    ...env,
  });
  const demoConfig = loadDemoChainConfig(env);
  const demo = demoConfig.enabled;
  const logger = createLogger({ name: 'blockcast', level: readLogLevel(env, 'warn') });

  // Every service reads the same REDIS_URL; ingest's reading of it is the one used for the shared log.
  const redis = ingestConfig.redis;
  const log = openIngestLog(ingestConfig, (error) =>
    logger.warn({ err: error }, 'redis connection error; retrying'),
  );
  const ingest = buildIngestApp({ config: ingestConfig, log, logger: logger.child({ service: 'ingest' }) });
  const gateway = buildGatewayApp({
    config: gatewayConfig,
    log,
    logger: logger.child({ service: 'gateway' }),
  });

  const { url: ingestUrl, opsPort: ingestOpsPort } = await ingest.start();
  const { port: gatewayPort, opsPort } = await gateway.start();
  // The API root advertises the port the gateway really listens on (GATEWAY_PORT may be 0 or
  // another port) unless the operator names one in front of it.
  const discoveryConfig = loadDiscoveryConfig({ ADVERTISED_STREAMS_PORT: String(gatewayPort), ...env });
  const discovery = buildDiscoveryApp({
    config: discoveryConfig,
    log,
    logger: logger.child({ service: 'discovery' }),
  });
  const { url: discoveryUrl, opsPort: discoveryOpsPort } = await discovery.start();
  const chain = demo
    ? new DemoChain({
        ...demoConfig,
        ingestUrl,
        token,
        logger: logger.child({ service: 'demo-chain' }),
      })
    : undefined;
  chain?.start();

  const streams = `ws://localhost:${gatewayPort}/api/v1/streams`;
  const cli = cliCommands({
    discoveryUrl,
    ingestUrl,
    token,
    ops: { discovery: discoveryOpsPort, ingest: ingestOpsPort, gateways: [opsPort] },
  });
  process.stdout.write(
    `${[
      '',
      `blockcast is running (${redis ? `Redis ${redis.kind}` : 'embedded memory log'}${demo ? ', demo chain committing a block every second' : ''})`,
      `  API root (discovery)    ${discoveryUrl}/api/v1/`,
      `  valid transactions      ${streams}/valid_transactions`,
      `  other streams           ${streams}/valid_blocks  valid_tx  invalid_transactions  events`,
      `  post blocks (ingest)    ${ingestUrl}/api/v1/blocks   Authorization: Bearer ${token}`,
      `  emit events (ingest)    ${ingestUrl}/api/v1/events/<NODE_STATUS|APP_MESSAGE>   body {"content": …}`,
      `  health and metrics      http://localhost:${opsPort}/metrics (gateway)  :${ingestOpsPort} (ingest)  :${discoveryOpsPort} (discovery)`,
      '',
      'in another terminal:',
      `  watch the stream        ${cli.tail}`,
      `  emit an event           ${cli.emit}`,
      `  streams and history     ${cli.catalog}`,
      `  readiness and lag       ${cli.status}`,
      `  the explorer            ${discoveryUrl}/explorer`,
      '',
    ].join('\n')}\n`,
  );

  closeOnSignals(
    {
      close: async () => {
        await chain?.stop();
        await ingest.close();
        await gateway.close();
        await discovery.close();
        await log.close();
      },
    },
    logger,
    Math.max(gatewayConfig.shutdownGraceMs, ingestConfig.shutdownGraceMs),
  );
});
