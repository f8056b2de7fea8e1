import { Counter, Gauge, type Registry } from 'prom-client';

/** The host's per-plugin metrics (`blockcast_plugins_<name>_<unit>`); `plugin` is a configured name, so bounded. */
export class PluginsMetrics {
  readonly #events: Counter<'plugin'>;
  readonly #failures: Counter<'plugin'>;
  readonly #restarts: Counter<'plugin'>;
  readonly #running: Gauge<'plugin'>;

  constructor(registry: Registry, plugins: readonly string[]) {
    const registers = [registry];
    this.#events = new Counter({
      name: 'blockcast_plugins_events_total',
      help: 'Events a plugin took (asked for the next one after), so acknowledged on its consumer group.',
      labelNames: ['plugin'],
      registers,
    });
    this.#failures = new Counter({
      name: 'blockcast_plugins_failures_total',
      help: 'Plugin processes that ended without being asked to: run() threw or returned, or the process died.',
      labelNames: ['plugin'],
      registers,
    });
    this.#restarts = new Counter({
      name: 'blockcast_plugins_restarts_total',
      help: 'Plugin processes started again after a failure (with exponential backoff).',
      labelNames: ['plugin'],
      registers,
    });
    this.#running = new Gauge({
      name: 'blockcast_plugins_running',
      help: '1 while the plugin process is up and reading its events, else 0.',
      labelNames: ['plugin'],
      registers,
    });
    // Every series exists from the start, so a rate() over a plugin that never failed is 0, not absent.
    for (const plugin of plugins) {
      this.#events.inc({ plugin }, 0);
      this.#failures.inc({ plugin }, 0);
      this.#restarts.inc({ plugin }, 0);
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
}
