/** WebSocket close codes blockcast sends (documented with the resume rule in docs/protocol.md). */
export const CloseCode = {
  NORMAL: 1000,
  DRAINING: 1001,
  POLICY: 1008,
  TOO_BIG: 1009,
  OVER_CAPACITY: 1013,
  TOO_SLOW: 4008,
  HISTORY_GONE: 4010,
} as const;

/** 0.10 servers closed connections that sent no "ping" for three minutes. */
export const LEGACY_IDLE_TIMEOUT_MS = 3 * 60 * 1000;
