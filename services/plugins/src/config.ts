import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ConfigError,
  type Env,
  type LogLevel,
  type RedisTarget,
  readChoice,
  readInteger,
  readList,
  readLogLevel,
  readPort,
  readRedisTarget,
  readStreamPrefix,
  readString,
} from '@blockcast/common';
import type { GroupStart } from '@blockcast/event-log';
import { BUILTIN_PLUGINS, builtinModule, isBuiltin } from './builtin/builtin-plugins.js';
import type { WebhookOptions } from './builtin/webhook-options.js';

/** One entry of PLUGINS, resolved. */
export interface PluginSpec {
  /** The metrics label and consumer group (`plugin:<name>`): a built-in's name, the package name, or `name=` given. */
  name: string;
  /** What the runner imports: a file URL, or a package name it resolves itself. */
  module: string;
  /** A built-in's parsed PLUGINS_<NAME>_* options; `{}` for other plugins. */
  options: unknown;
}

/** Everything the plugin host reads from the environment, parsed and validated once at start. */
export interface PluginsConfig {
  /** PLUGINS (required): comma list of `console`, `webhook`, `amqp`, package names or paths, each optionally `name=…`. */
  plugins: PluginSpec[];
  /** PLUGINS_HOST, default `0.0.0.0`: where the ops port listens. */
  host: string;
  /** PLUGINS_OPS_PORT, default 9991: `/healthz`, `/readyz`, `/metrics`; 0 picks a free port. */
  opsPort: number;
  /** PLUGINS_START, default `latest`: where a plugin's new consumer group starts (`first` retained block or the next one). */
  start: GroupStart;
  /** PLUGINS_RESTART_MIN_MS, default 1000: the wait before the first restart after a failure, doubling per failure in a row. */
  restartMinMs: number;
  /** PLUGINS_RESTART_MAX_MS, default 60 000: the longest wait between restarts. */
  restartMaxMs: number;
  /** PLUGINS_SHUTDOWN_GRACE_MS, default 10 000: how long a plugin gets to finish its event on SIGTERM. */
  shutdownGraceMs: number;
  /** REDIS_URL or REDIS_SENTINELS + REDIS_SENTINEL_MASTER (required by main.ts). */
  redis: RedisTarget | undefined;
  /** BLOCKCAST_STREAM_PREFIX, default `blockcast:`. */
  streamPrefix: string;
  /** LOG_LEVEL, default `info`; plugin processes log at the same level. */
  logLevel: LogLevel;
}

const PLUGIN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** What `replay-dead-letters.ts [plugin]` reads: whose dead letters to re-send, and where to. */
export interface ReplayConfig {
  /** The argument, default `webhook`: the webhook plugin's name in PLUGINS, whose `<prefix>plugins:<name>:dead` is replayed. */
  plugin: string;
  /** PLUGINS_WEBHOOK_* as for the plugin: URL, secret, attempts per event, waits, timeout. */
  webhook: WebhookOptions;
  /** REDIS_URL or REDIS_SENTINELS + REDIS_SENTINEL_MASTER (required by the command). */
  redis: RedisTarget | undefined;
  /** BLOCKCAST_STREAM_PREFIX, default `blockcast:`. */
  streamPrefix: string;
  /** LOG_LEVEL, default `info`. */
  logLevel: LogLevel;
}

export function loadReplayConfig(env: Env, args: readonly string[]): ReplayConfig {
  if (args.length > 1) {
    throw new ConfigError('arguments', `takes one plugin name (default webhook), got ${args.join(' ')}`);
  }
  const plugin = args[0] ?? 'webhook';
  return {
    plugin: checkedName(plugin, plugin),
    webhook: BUILTIN_PLUGINS.webhook(env),
    redis: readRedisTarget(env),
    streamPrefix: readStreamPrefix(env),
    logLevel: readLogLevel(env),
  };
}

/** `cwd` resolves relative plugin paths and package names (default: the process's). */
export function loadPluginsConfig(env: Env, cwd: string = process.cwd()): PluginsConfig {
  const restartMinMs = readInteger(env, 'PLUGINS_RESTART_MIN_MS', 1000, { min: 1 });
  const restartMaxMs = readInteger(env, 'PLUGINS_RESTART_MAX_MS', 60_000, { min: 1 });
  if (restartMaxMs < restartMinMs) {
    throw new ConfigError(
      'PLUGINS_RESTART_MAX_MS',
      `must be at least PLUGINS_RESTART_MIN_MS (${restartMinMs})`,
    );
  }
  return {
    plugins: readPluginSpecs(env, cwd),
    host: readString(env, 'PLUGINS_HOST', '0.0.0.0'),
    opsPort: readPort(env, 'PLUGINS_OPS_PORT', 9991),
    start: readChoice(env, 'PLUGINS_START', ['latest', 'first'] as const, 'latest'),
    restartMinMs,
    restartMaxMs,
    shutdownGraceMs: readInteger(env, 'PLUGINS_SHUTDOWN_GRACE_MS', 10_000, { min: 0 }),
    redis: readRedisTarget(env),
    streamPrefix: readStreamPrefix(env),
    logLevel: readLogLevel(env),
  };
}

function readPluginSpecs(env: Env, cwd: string): PluginSpec[] {
  const entries = readList(env, 'PLUGINS');
  if (entries.length === 0) {
    throw new ConfigError(
      'PLUGINS',
      'name at least one plugin: console, webhook, amqp, a package name or a path',
    );
  }
  const specs = entries.map((entry) => readPluginSpec(env, entry, cwd));
  const seen = new Set<string>();
  for (const { name } of specs) {
    if (seen.has(name)) {
      throw new ConfigError(
        'PLUGINS',
        `names "${name}" twice: give one of them another name with name=module`,
      );
    }
    seen.add(name);
  }
  return specs;
}

function readPluginSpec(env: Env, entry: string, cwd: string): PluginSpec {
  const separator = entry.indexOf('=');
  const given = separator === -1 ? undefined : entry.slice(0, separator).trim();
  const target = (separator === -1 ? entry : entry.slice(separator + 1)).trim();
  if (target === '') throw new ConfigError('PLUGINS', `entry "${entry}" names no module`);
  if (isBuiltin(target)) {
    return {
      name: checkedName(given ?? target, entry),
      module: builtinModule(target),
      options: BUILTIN_PLUGINS[target](env),
    };
  }
  const isPath = target.startsWith('.') || isAbsolute(target);
  const name = checkedName(given ?? defaultName(target, isPath), entry);
  return { name, module: resolveModule(target, isPath, cwd, entry), options: {} };
}

/** A package's name without its scope; a path's last segment without its extension. */
function defaultName(target: string, isPath: boolean): string {
  const last = target.replace(/\/+$/, '').split('/').pop() ?? target;
  return isPath ? last.replace(/\.[cm]?[jt]s$/, '') : last;
}

function checkedName(name: string, entry: string): string {
  if (!PLUGIN_NAME.test(name)) {
    throw new ConfigError(
      'PLUGINS',
      `entry "${entry}": plugin name "${name}" must be letters, digits, ".", "_" or "-" (at most 64), e.g. audit=${entry}`,
    );
  }
  return name;
}

/** Paths (a file, or a package folder with its package.json) become file URLs; a package is looked up from `cwd`. */
function resolveModule(target: string, isPath: boolean, cwd: string, entry: string): string {
  const require = createRequire(join(cwd, 'package.json'));
  const request = isPath ? resolve(cwd, target) : target;
  try {
    return pathToFileURL(require.resolve(request)).href;
  } catch {
    // An ESM-only package without a "require" or "default" export: the runner's import() resolves it.
    if (!isPath) return target;
    throw new ConfigError(
      'PLUGINS',
      `entry "${entry}": no module at ${request} (a .js/.mjs file or a package folder)`,
    );
  }
}
