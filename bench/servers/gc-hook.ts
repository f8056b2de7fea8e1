/**
 * Preloaded (`--expose-gc --import ./bench/servers/gc-hook.ts`) into the servers under test by
 * bench/scenarios/gateway-fanout.bench.ts, without touching their code: SIGUSR2 runs a full garbage collection,
 * so RSS is read from a settled heap rather than from wherever the last young-generation cycle
 * happened to leave it.
 */
const gc = (globalThis as { gc?: () => void }).gc;
process.on('SIGUSR2', () => gc?.());
