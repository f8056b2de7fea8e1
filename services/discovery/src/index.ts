export * from './app.js';
export { buildCatalogDocument, type StreamState } from './catalog-document.js';
export { type DiscoveryConfig, loadDiscoveryConfig } from './config.js';
export type { ErrorBody, ErrorCode } from './errors.js';
