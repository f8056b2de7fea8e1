/**
 * A stack started from what ships (the runtime layout, the container image) on 127.0.0.1: each
 * service's environment on its own ports, and the smoke check — the API root names the stream URL,
 * a block posted to ingest with a token reaches a client of that stream, frame for frame.
 */
import assert from 'node:assert/strict';
import { freePort, makeBlock } from '@blockcast/devkit';
import { expectedValidTransactions } from './expected-frames.js';
import { RecordingClient } from './ws-client.js';

export interface StackPorts {
  ingest: number;
  ingestOps: number;
  gateway: number;
  gatewayOps: number;
  discovery: number;
  discoveryOps: number;
}

/** A free port for each service and its ops port. */
export async function freeStackPorts(): Promise<StackPorts> {
  return {
    ingest: await freePort(),
    ingestOps: await freePort(),
    gateway: await freePort(),
    gatewayOps: await freePort(),
    discovery: await freePort(),
    discoveryOps: await freePort(),
  };
}

/** Each service's environment (besides Redis and the stream prefix) for a stack on 127.0.0.1 on `ports`. */
export function stackEnv(ports: StackPorts, token: string) {
  return {
    ingest: {
      INGEST_HOST: '127.0.0.1',
      INGEST_PORT: String(ports.ingest),
      INGEST_OPS_PORT: String(ports.ingestOps),
      INGEST_TOKENS: token,
    },
    gateway: {
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: String(ports.gateway),
      GATEWAY_OPS_PORT: String(ports.gatewayOps),
      GATEWAY_EXCLUSIVE_PORT: 'true',
    },
    discovery: {
      DISCOVERY_HOST: '127.0.0.1',
      DISCOVERY_PORT: String(ports.discovery),
      DISCOVERY_OPS_PORT: String(ports.discoveryOps),
      ADVERTISED_STREAMS_HOST: '127.0.0.1',
      ADVERTISED_STREAMS_PORT: String(ports.gateway),
    },
  };
}

export interface DeployedStack {
  /** Discovery's base URL, e.g. http://127.0.0.1:9984 */
  discovery: string;
  /** Ingest's base URL. */
  ingest: string;
  token: string;
}

/** Posts block 1 and asserts its transactions reach a client of the advertised stream; returns the API root's streams URL. */
export async function assertFirstBlockDelivered(stack: DeployedStack, timeoutMs: number): Promise<string> {
  const root = (await (await fetch(`${stack.discovery}/api/v1/`)).json()) as { streams: string };
  const client = await RecordingClient.connect(root.streams);
  const block = makeBlock(1, 10);
  const response = await fetch(`${stack.ingest}/api/v1/blocks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.token}` },
    body: JSON.stringify(block),
  });
  assert.equal(response.status, 201, await response.text());
  const want = expectedValidTransactions([block], 'bigchaindb');
  await client.waitForFrames(want.length, timeoutMs);
  assert.deepEqual(client.frames, want);
  await client.close();
  return root.streams;
}
