import { withDeadline } from '@blockcast/common';
import { Counter, Gauge, type Registry } from 'prom-client';

/** How long a scrape waits for a dead-letter stream's length before showing the last one read. */
const DEAD_LETTER_READ_TIMEOUT_MS = 1000;

/** The host's per-plugin metrics (`blockcast_plugins_<name>_<unit>`); `plugin` is a configured name, so bounded. */
export class PluginsMetrics {
  readonly #events: Counter<'plugin'>;
  readonly #failures: Counter<'plugin'>;
  readonly #restarts: Counter<'plugin'>;
  readonly #running: Gauge<'plugin'>;
  readonly #gaps: Counter<'plugin'>;
  readonly #skipped: Counter<'plugin'>;
  readonly #resets: Counter<'plugin'>;
  readonly #deadLettered: Counter<'plugin'>;

  /** `deadLetterLength` reads a plugin's dead-letter stream length (XLEN) at each scrape. */
  constructor(
    registry: Registry,
    plugins: readonly string[],
    deadLetterLength: (plugin: string) => Promise<number>,
  ) {
    const registers = [registry];
    const perPlugin = { labelNames: ['plugin'] as const, registers };
    this.#events = new Counter({
      name: 'blockcast_plugins_events_total',
      help: 'Events a plugin took (asked for the next one after), so acknowledged on its consumer group.',
      ...perPlugin,
    });
    this.#failures = new Counter({
      name: 'blockcast_plugins_failures_total',
      help: 'Plugin processes that ended without being asked to: run() threw or returned, or the process died.',
      ...perPlugin,
    });
    this.#restarts = new Counter({
      name: 'blockcast_plugins_restarts_total',
      help: 'Plugin processes started again after a failure (with exponential backoff).',
      ...perPlugin,
    });
    this.#running = new Gauge({
      name: 'blockcast_plugins_running',
      help: '1 while the plugin process is up and reading its events, else 0 (down, or unable to read the bus).',
      ...perPlugin,
    });
    this.#gaps = new Counter({
      name: 'blockcast_plugins_history_gaps_total',
      help: 'Gaps told to a plugin: bus entries trimmed by retention before it took them.',
      ...perPlugin,
    });
    this.#skipped = new Counter({
      name: 'blockcast_plugins_entries_skipped_total',
      help: 'Bus entries (blocks and generic events) in those gaps, never delivered to the plugin.',
      ...perPlugin,
    });
    this.#resets = new Counter({
      name: 'blockcast_plugins_resets_total',
      help: 'Times the bus was recreated or rolled back under a plugin (a new epoch), told to it.',
      ...perPlugin,
    });
    this.#deadLettered = new Counter({
      name: 'blockcast_plugins_dead_letters_total',
      help: 'Events a plugin gave up on and parked in its dead-letter stream.',
      ...perPlugin,
    });
    new Gauge({
      name: 'blockcast_plugins_dead_letters',
      help: "Events in a plugin's dead-letter stream now (<prefix>plugins:<name>:dead): replay or inspect them.",
      ...perPlugin,
      async collect() {
        await Promise.all(
          plugins.map(async (plugin) => {
            // Redis away: the scrape shows the last length read instead of failing or waiting.
            const length = await withDeadline(
              deadLetterLength(plugin),
              DEAD_LETTER_READ_TIMEOUT_MS,
              'dead-letter stream length',
            ).catch(() => undefined);
            if (length !== undefined) this.set({ plugin }, length);
          }),
        );
      },
    });
    // Every series exists from the start, so a rate() over a plugin that never failed is 0, not absent.
    for (const plugin of plugins) {
      for (const counter of [
        this.#events,
        this.#failures,
        this.#restarts,
        this.#gaps,
        this.#skipped,
        this.#resets,
        this.#deadLettered,
      ]) {
        counter.inc({ plugin }, 0);
      }
      this.#running.set({ plugin }, 0);
    }
  }

  taken(plugin: string, events: number): void {
    this.#events.inc({ plugin }, events);
  }

  failed(plugin: string): void {
    this.#failures.inc({ plugin });
  }

  restarted(plugin: string): void {
    this.#restarts.inc({ plugin });
  }

  running(plugin: string, up: boolean): void {
    this.#running.set({ plugin }, up ? 1 : 0);
  }

  /** A gap told to the plugin; `lost` entries in it (null: unknown, the gap is still counted). */
  gap(plugin: string, lost: number | null): void {
    this.#gaps.inc({ plugin });
    if (lost !== null) this.#skipped.inc({ plugin }, lost);
  }

  reset(plugin: string): void {
    this.#resets.inc({ plugin });
  }

  deadLettered(plugin: string): void {
    this.#deadLettered.inc({ plugin });
  }
}
