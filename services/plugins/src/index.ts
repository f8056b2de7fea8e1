export * from './app.js';
export { loadPluginsConfig, type PluginSpec, type PluginsConfig } from './config.js';
export type { PluginContext, PluginEvent, PluginModule } from './plugin-api.js';
export { eventsForMask, eventsOfBlock } from './plugin-events.js';
export { deadLetterKey } from './runner/dead-letter-stream.js';
