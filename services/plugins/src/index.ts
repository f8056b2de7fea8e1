export * from './app.js';
export {
  loadPluginsConfig,
  loadReplayConfig,
  type PluginSpec,
  type PluginsConfig,
  type ReplayConfig,
} from './config.js';
export type {
  BlockPluginEvent,
  GenericPluginEvent,
  PluginContext,
  PluginEvent,
  PluginGap,
  PluginModule,
  PluginReset,
} from './plugin-api.js';
export { eventOfGeneric, eventsForMask, eventsOfBlock } from './plugin-events.js';
export { deadLetterKey } from './runner/dead-letter-stream.js';
