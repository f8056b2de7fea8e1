/**
 * Preloaded (`--expose-gc --import ./bench/gateway-gc-hook.ts`) into the servers under test by
 * bench/gateway-fanout.ts, without touching their code: SIGUSR2 runs a full garbage collection,
 * so RSS is read from a settled heap rather than from wherever the last young-generation cycle
 * happened to leave it.
 */
const gc = (globalThis as { gc?: () => void }).gc;
process.on('SIGUSR2', () => gc?.());
