import { type Logger, pino } from 'pino';

export type { Logger };

export interface LoggerOptions {
  name: string;
  level?: string;
  /** Tests pass a stream to capture or silence output. */
  destination?: NodeJS.WritableStream;
}

/** JSON lines to stdout; pretty printing is left to `pino-pretty` in a terminal pipe. */
export function createLogger(options: LoggerOptions): Logger {
  const base = { name: options.name, level: options.level ?? 'info' };
  return options.destination ? pino(base, options.destination) : pino(base);
}

/** A logger that writes nothing: for apps built inside tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
