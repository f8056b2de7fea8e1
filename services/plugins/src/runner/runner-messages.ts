import type { RedisTarget } from '@blockcast/common';
import type { GroupStart } from '@blockcast/event-log';

/** What the host tells a plugin runner over IPC: once `init`, later perhaps `stop`. */
export type HostMessage =
  | {
      kind: 'init';
      name: string;
      /** A file URL of a built-in or resolved module, or a bare package name. */
      module: string;
      options: unknown;
      redis: RedisTarget;
      streamPrefix: string;
      start: GroupStart;
      logLevel: string;
    }
  | { kind: 'stop' };

/**
 * What a runner reports: `started` once reading, `taken` per acknowledged block, `reading` when it
 * can read the bus again (no problem) or cannot (why), `gap` and `reset` per history signal,
 * `dead-letter` per event parked, `refused` when the module is not a plugin.
 */
export type RunnerMessage =
  | { kind: 'started'; eventTypes: number }
  | { kind: 'taken'; events: number; height: number }
  | { kind: 'reading'; problem?: string }
  | { kind: 'gap'; lost: number | null }
  | { kind: 'reset' }
  | { kind: 'dead-letter' }
  | { kind: 'refused'; message: string }
  | { kind: 'failed'; message: string };

/** Exit code of a runner whose module is not a plugin: restarting it cannot help. */
export const EXIT_REFUSED = 3;
