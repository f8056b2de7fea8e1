/**
 * Waits until a client has at least `expected` frames, then proves nothing more is on its way:
 * everything the gateway queued before answering a text "ping" arrives before the "pong". A
 * socket still catching up is fed as it drains, so the count comes first, then the barrier.
 */
import { waitUntil } from '@blockcast/devkit';
import { assertSameFrames } from './same-frames.js';
import type { RecordingClient } from './ws-client.js';

export async function settledFrames(
  client: RecordingClient,
  expected: number,
  timeoutMs = 30_000,
): Promise<string[]> {
  const frames = () => client.frames.filter((frame) => frame !== 'pong');
  await waitUntil(
    () => frames().length >= expected,
    timeoutMs,
    `${expected} frames (have ${frames().length})`,
  );
  const before = client.frames.length;
  client.socket.send('ping');
  await waitUntil(() => client.frames.slice(before).includes('pong'), timeoutMs, 'pong');
  return frames();
}

/** The client ends up with exactly `expected`, frame for frame, and nothing more is on its way. */
export async function expectFrames(
  client: RecordingClient,
  expected: readonly string[],
  what?: string,
): Promise<void> {
  assertSameFrames(await settledFrames(client, expected.length), expected, what);
}
