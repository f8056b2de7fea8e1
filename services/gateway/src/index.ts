export * from './app.js';
export { type GatewayConfig, loadGatewayConfig } from './config.js';
