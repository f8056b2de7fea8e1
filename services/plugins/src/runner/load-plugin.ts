import { typeMaskProblem } from '@blockcast/protocol';
import type { PluginModule } from '../plugin-api.js';

/** Why a module cannot be run as a plugin, in words an operator can act on. */
export class PluginRefusedError extends Error {
  override name = 'PluginRefusedError';
}

/** Imports `module` and checks it exports an integer `eventTypes` mask and a `run` function. */
export async function loadPlugin(name: string, module: string): Promise<PluginModule> {
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(module)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PluginRefusedError(`plugin "${name}": cannot import ${module}: ${reason}`);
  }
  // A CommonJS module arrives as its module.exports under `default`.
  const candidate = (
    'run' in loaded ? loaded : ((loaded.default as Record<string, unknown> | undefined) ?? {})
  ) as Partial<PluginModule>;
  if (typeof candidate.run !== 'function') {
    throw new PluginRefusedError(`plugin "${name}" (${module}) exports no run(events) function`);
  }
  const mask = candidate.eventTypes;
  const problem = typeof mask === 'number' ? typeMaskProblem(mask) : 'expected a number';
  if (problem !== undefined) {
    throw new PluginRefusedError(
      `plugin "${name}" (${module}) exports eventTypes ${String(mask)}: ${problem}, such as EventType.BLOCK_VALID | EventType.BLOCK_INVALID`,
    );
  }
  for (const hook of ['onGap', 'onReset'] as const) {
    if (candidate[hook] !== undefined && typeof candidate[hook] !== 'function') {
      throw new PluginRefusedError(`plugin "${name}" (${module}) exports ${hook} that is not a function`);
    }
  }
  return candidate as PluginModule;
}
