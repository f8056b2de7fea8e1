import { type ChildProcess, fork } from 'node:child_process';
import type { Logger, RedisTarget } from '@blockcast/common';
import type { GroupStart } from '@blockcast/event-log';
import { cappedBackoff } from '@blockcast/protocol';
import type { PluginSpec } from './config.js';
import type { PluginsMetrics } from './metrics.js';
import { EXIT_REFUSED, type HostMessage, type RunnerMessage } from './runner/runner-messages.js';
import { RUNNER_PATH, runnerExecArgv } from './runner-entry.js';

export interface PluginProcessOptions {
  spec: PluginSpec;
  redis: RedisTarget;
  streamPrefix: string;
  start: GroupStart;
  restartMinMs: number;
  restartMaxMs: number;
  logLevel: string;
  metrics: PluginsMetrics;
  logger: Logger;
}

/** `not reading`: the process is up but cannot read the bus (Redis away, the stream reset); `problem` says why. */
export type PluginState =
  | 'starting'
  | 'running'
  | 'not reading'
  | 'waiting to restart'
  | 'refused'
  | 'stopped';

/** The module is not a plugin (no run, bad mask, cannot be imported): restarting would not help. */
export class PluginModuleError extends Error {
  override name = 'PluginModuleError';
}

/**
 * Supervises one plugin's runner process: forks it, restarts it with exponential backoff after
 * every failure (a throw, an early return, a crash or a kill), counts failures and restarts, and
 * stops it on request. The backoff starts over once a restarted plugin takes an event again.
 */
export class PluginProcess {
  readonly name: string;
  readonly #options: PluginProcessOptions;
  #child: ChildProcess | undefined;
  #state: PluginState = 'stopped';
  #failuresInARow = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  #stopping = false;
  #lastProblem: string | undefined;
  /** Settles the pending start(): on `started`, `refused`, or the first failure. */
  #firstOutcome: { resolve(): void; reject(error: Error): void } | undefined;

  constructor(options: PluginProcessOptions) {
    this.#options = options;
    this.name = options.spec.name;
  }

  get state(): PluginState {
    return this.#state;
  }

  /** Why the plugin is not running, for /readyz. */
  get problem(): string | undefined {
    return this.#lastProblem;
  }

  /** The runner's process id while one is up (tests kill it). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /**
   * Forks the runner. Resolves once it reads its events, or once it failed and a restart is
   * scheduled; rejects with {@link PluginModuleError} when the module is not a plugin.
   */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#firstOutcome = { resolve, reject };
      this.#fork();
    });
  }

  /** Asks the runner to finish the event in hand and exit; SIGKILL after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) {
      // A refused module stays refused: the state says why it never ran.
      if (this.#state !== 'refused') this.#state = 'stopped';
      this.#settleStart();
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) child.send({ kind: 'stop' } satisfies HostMessage);
    else child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  #fork(): void {
    const { spec, logger } = this.#options;
    this.#state = 'starting';
    const child = fork(RUNNER_PATH, [], {
      execArgv: runnerExecArgv(),
      // A plugin's own output (the console plugin's lines) goes where the host's does.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    this.#child = child;
    child.on('message', (message: RunnerMessage) => this.#onMessage(message));
    child.once('error', (error) => logger.error({ err: error, plugin: spec.name }, 'plugin process error'));
    child.once('exit', (code, signal) => this.#onExit(child, code, signal));
    child.send({
      kind: 'init',
      name: spec.name,
      module: spec.module,
      options: spec.options,
      redis: this.#options.redis,
      streamPrefix: this.#options.streamPrefix,
      start: this.#options.start,
      logLevel: this.#options.logLevel,
    } satisfies HostMessage);
  }

  #onMessage(message: RunnerMessage): void {
    const { metrics, logger } = this.#options;
    switch (message.kind) {
      case 'started':
        this.#state = 'running';
        this.#lastProblem = undefined;
        metrics.running(this.name, true);
        logger.info(
          { plugin: this.name, eventTypes: message.eventTypes, runnerPid: this.pid },
          'plugin running',
        );
        this.#settleStart();
        return;
      case 'taken':
        metrics.taken(this.name, message.events);
        // Progress again: the next failure starts the backoff from the shortest delay.
        this.#failuresInARow = 0;
        return;
      case 'reading':
        if (this.#state !== 'running' && this.#state !== 'not reading') return;
        this.#state = message.problem === undefined ? 'running' : 'not reading';
        this.#lastProblem = message.problem;
        metrics.running(this.name, message.problem === undefined);
        return;
      case 'gap':
        metrics.gap(this.name, message.lost);
        return;
      case 'reset':
        metrics.reset(this.name);
        return;
      case 'dead-letter':
        metrics.deadLettered(this.name);
        return;
      case 'refused':
      case 'failed':
        this.#lastProblem = message.message;
        return;
    }
  }

  #onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    const { metrics, logger, restartMinMs, restartMaxMs } = this.#options;
    metrics.running(this.name, false);
    if (this.#stopping) {
      this.#state = 'stopped';
      // A start() still waiting ends with the stop, not never.
      this.#settleStart();
      return;
    }
    metrics.failed(this.name);
    if (code === EXIT_REFUSED) {
      this.#state = 'refused';
      const problem = this.#lastProblem ?? `plugin "${this.name}" is not a plugin module`;
      logger.error({ plugin: this.name }, problem);
      this.#settleStart(new PluginModuleError(problem));
      return;
    }
    this.#lastProblem ??= `process exited (${signal ?? `code ${code}`})`;
    this.#failuresInARow++;
    const delayMs = cappedBackoff(this.#failuresInARow, restartMinMs, restartMaxMs);
    this.#state = 'waiting to restart';
    logger.warn(
      { plugin: this.name, code, signal, problem: this.#lastProblem, restartInMs: delayMs },
      'plugin failed; restarting',
    );
    this.#settleStart();
    this.#restartTimer = setTimeout(() => {
      if (this.#stopping) return;
      metrics.restarted(this.name);
      this.#lastProblem = undefined;
      this.#fork();
    }, delayMs);
  }

  #settleStart(error?: Error): void {
    const outcome = this.#firstOutcome;
    this.#firstOutcome = undefined;
    if (error) outcome?.reject(error);
    else outcome?.resolve();
  }
}
