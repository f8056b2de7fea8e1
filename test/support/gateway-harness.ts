/** A gateway app on a MemoryLog, on free ports, closed after the test. */
import { MemoryLog } from '@blockcast/event-log';
import {
  buildGatewayApp,
  type GatewayApp,
  type GatewayAppOptions,
  type GatewayConfig,
  loadGatewayConfig,
} from '@blockcast/gateway';
import { type CommittedBlock, normaliseBlock } from '@blockcast/protocol';

export interface GatewayHarness {
  app: GatewayApp;
  log: MemoryLog;
  url: string;
  opsUrl: string;
  /** Appends committed blocks to the bus, in order. */
  commit(...blocks: CommittedBlock[]): Promise<void>;
  close(): Promise<void>;
}

export async function startGateway(
  overrides: Partial<GatewayConfig> = {},
  extra: Partial<Pick<GatewayAppOptions, 'legacyIdleTimeoutMs'>> = {},
): Promise<GatewayHarness> {
  const config = { ...loadGatewayConfig({}), host: '127.0.0.1', port: 0, opsPort: 0, ...overrides };
  const log = new MemoryLog();
  const app = buildGatewayApp({ config, log, ...extra });
  const { port, opsPort } = await app.start();
  return {
    app,
    log,
    url: `ws://127.0.0.1:${port}`,
    opsUrl: `http://127.0.0.1:${opsPort}`,
    async commit(...blocks) {
      for (const block of blocks) await log.append(normaliseBlock(block));
    },
    async close() {
      await app.close();
      await log.close();
    },
  };
}
