import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

export function createGatewayMetrics(registry: Registry) {
  const registers = [registry];
  return {
    connections: new Gauge({
      name: 'blockcast_gateway_connections',
      help: 'Open WebSocket connections by stream',
      labelNames: ['stream'] as const,
      registers,
    }),
    connectionsRefused: new Counter({
      name: 'blockcast_gateway_connections_refused_total',
      help: 'Upgrades refused or sockets closed at open, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    blocks: new Counter({
      name: 'blockcast_gateway_blocks_total',
      help: 'Blocks read from the bus and published',
      registers,
    }),
    framesPublished: new Counter({
      name: 'blockcast_gateway_frames_published_total',
      help: 'Frames published to topics (each delivered to every subscriber by uWS)',
      registers,
    }),
    height: new Gauge({
      name: 'blockcast_gateway_height',
      help: 'Height of the last block published',
      registers,
    }),
    blocksFailed: new Counter({
      name: 'blockcast_gateway_blocks_failed_total',
      help: 'Blocks whose publishing threw; their frames were not sent (an alert metric)',
      registers,
    }),
    slowClientsClosed: new Counter({
      name: 'blockcast_gateway_slow_clients_closed_total',
      help: 'Sockets closed with 4008 because their queued bytes passed GATEWAY_SLOW_CLIENT_BYTES',
      registers,
    }),
    gaps: new Counter({
      name: 'blockcast_gateway_gaps_total',
      help: 'Times the bus delivered a height that did not follow the last one',
      registers,
    }),
    publishDelay: new Histogram({
      name: 'blockcast_gateway_publish_delay_seconds',
      help: 'Time from ingest accepting a block to this gateway publishing it',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    transport: new Gauge({
      name: 'blockcast_gateway_transport_info',
      help: 'The WebSocket transport in use (1 for the active kind)',
      labelNames: ['kind'] as const,
      registers,
    }),
  };
}
