import { randomBytes } from 'node:crypto';

/** A fresh epoch: 64 random bits in hex, short enough for a URL and a WebSocket close reason. */
export function newEpoch(): string {
  return randomBytes(8).toString('hex');
}
