export * from './app.js';
export { buildCatalogDocument, GATEWAY_FEATURES, type GatewayFeatures } from './catalog-document.js';
export { type DiscoveryConfig, loadDiscoveryConfig } from './config.js';
export type { ErrorBody, ErrorCode } from './errors.js';
