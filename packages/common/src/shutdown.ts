import type { Logger } from 'pino';

export interface Closable {
  close(): Promise<void>;
}

/**
 * Closes the app on SIGTERM/SIGINT and exits; a second signal, or the grace period running
 * out, exits at once so an orchestrator never waits on a stuck close.
 */
export function closeOnSignals(app: Closable, logger: Logger, graceMs: number): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closing = true;
    logger.info({ signal, graceMs }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ graceMs }, 'grace period over: exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    app.close().then(
      () => {
        logger.info('closed');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'close failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** For `main.ts`: a bad config or a failed start ends the process with the reason on stderr. */
export async function runMain(name: string, start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${name}: cannot start: ${message}\n`);
    process.exit(1);
  }
}
