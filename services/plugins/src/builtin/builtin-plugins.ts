import {
  ConfigError,
  type Env,
  readChoice,
  readInteger,
  readOptionalString,
  readString,
  readUrl,
} from '@blockcast/common';
import type { AmqpOptions } from './amqp-options.js';
import type { WebhookOptions } from './webhook-options.js';

/** Built-in plugins by name (the module `./<name>.ts` beside this file), each with the reader of its PLUGINS_<NAME>_* variables. */
export const BUILTIN_PLUGINS = {
  console: (_env: Env) => ({}),
  webhook: readWebhookOptions,
  amqp: readAmqpOptions,
} as const;

export type BuiltinName = keyof typeof BUILTIN_PLUGINS;

export function isBuiltin(name: string): name is BuiltinName {
  return Object.hasOwn(BUILTIN_PLUGINS, name);
}

/** `.ts` run from source (tsx), `.js` when built. */
const EXTENSION = import.meta.url.endsWith('.ts') ? 'ts' : 'js';

export function builtinModule(name: BuiltinName): string {
  return new URL(`./${name}.${EXTENSION}`, import.meta.url).href;
}

const MIN_SECRET_LENGTH = 16;

function readWebhookOptions(env: Env): WebhookOptions {
  const url = readUrl(env, 'PLUGINS_WEBHOOK_URL', undefined, ['http:', 'https:']);
  if (url === undefined) throw new ConfigError('PLUGINS_WEBHOOK_URL', 'required when PLUGINS names webhook');
  const secret = readOptionalString(env, 'PLUGINS_WEBHOOK_SECRET');
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(
      'PLUGINS_WEBHOOK_SECRET',
      `is ${secret.length} characters: use at least ${MIN_SECRET_LENGTH} (e.g. openssl rand -hex 32)`,
    );
  }
  const retryMinMs = readInteger(env, 'PLUGINS_WEBHOOK_RETRY_MIN_MS', 500, { min: 1 });
  const retryMaxMs = readInteger(env, 'PLUGINS_WEBHOOK_RETRY_MAX_MS', 30_000, { min: 1 });
  if (retryMaxMs < retryMinMs) {
    throw new ConfigError(
      'PLUGINS_WEBHOOK_RETRY_MAX_MS',
      `must be at least PLUGINS_WEBHOOK_RETRY_MIN_MS (${retryMinMs})`,
    );
  }
  return {
    url,
    secret,
    attempts: readInteger(env, 'PLUGINS_WEBHOOK_ATTEMPTS', 5, { min: 1, max: 100 }),
    retryMinMs,
    retryMaxMs,
    timeoutMs: readInteger(env, 'PLUGINS_WEBHOOK_TIMEOUT_MS', 10_000, { min: 1 }),
  };
}

function readAmqpOptions(env: Env): AmqpOptions {
  const url = readUrl(env, 'PLUGINS_AMQP_URL', undefined, ['amqp:', 'amqps:']);
  if (url === undefined) throw new ConfigError('PLUGINS_AMQP_URL', 'required when PLUGINS names amqp');
  return {
    url,
    exchange: readString(env, 'PLUGINS_AMQP_EXCHANGE', 'blockcast.events'),
    exchangeType: readChoice(
      env,
      'PLUGINS_AMQP_EXCHANGE_TYPE',
      ['topic', 'fanout', 'direct'] as const,
      'topic',
    ),
    confirmTimeoutMs: readInteger(env, 'PLUGINS_AMQP_CONFIRM_TIMEOUT_MS', 10_000, { min: 1 }),
  };
}
