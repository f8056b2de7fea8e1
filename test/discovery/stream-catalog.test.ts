import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { STREAM_CATALOG } from '@blockcast/protocol';
import { discoveryApp, get } from './support.js';

interface CatalogStream {
  name: string;
  url: string;
  description: string;
  frame: string;
  example: Record<string, unknown>;
  filters: string[];
  resume: string;
  retention_blocks: number;
  profile: string;
}

async function catalog(
  t: Parameters<typeof discoveryApp>[0],
  env: Record<string, string>,
  url = '/api/v1/streams',
) {
  const response = await get(discoveryApp(t, env), url);
  assert.equal(response.status, 200);
  return JSON.parse(response.text) as { profile: string; retention_blocks: number; streams: CatalogStream[] };
}

describe('GET /api/v1/streams', () => {
  test('lists every catalogued stream, in catalog order, with its advertised URL', async (t) => {
    const body = await catalog(t, {
      ADVERTISED_STREAMS_HOST: 'streams.example.com',
      ADVERTISED_STREAMS_PORT: '443',
      ADVERTISED_STREAMS_SCHEME: 'wss',
    });
    assert.deepEqual(
      body.streams.map((stream) => stream.name),
      STREAM_CATALOG.map((stream) => stream.name),
    );
    for (const stream of body.streams) {
      assert.equal(stream.url, `wss://streams.example.com/api/v1/streams/${stream.name}`);
      assert.ok(stream.description.length > 0, stream.name);
      assert.ok(stream.frame.length > 0, stream.name);
      assert.equal(stream.resume, '?since=<height>');
    }
  });

  test('shows the profile, the retention in blocks, and the same with a trailing slash', async (t) => {
    const body = await catalog(
      t,
      { BLOCKCAST_PROFILE: 'planetmint', RETAIN_BLOCKS: '5000' },
      '/api/v1/streams/',
    );
    assert.equal(body.profile, 'planetmint');
    assert.equal(body.retention_blocks, 5000);
    for (const stream of body.streams) {
      assert.equal(stream.retention_blocks, 5000);
      assert.equal(stream.profile, 'planetmint');
    }
  });

  test('the valid_transactions example frame has the profile wire shape, keys in order', async (t) => {
    const frameKeys = async (profile: string) => {
      const body = await catalog(t, { BLOCKCAST_PROFILE: profile });
      return Object.keys(body.streams.find((stream) => stream.name === 'valid_transactions')!.example);
    };
    assert.deepEqual(await frameKeys('bigchaindb'), ['height', 'asset_id', 'transaction_id']);
    assert.deepEqual(await frameKeys('planetmint'), ['height', 'asset_ids', 'transaction_id']);
    assert.deepEqual(await frameKeys('legacy'), ['height', 'asset_id', 'transaction_id']);
  });

  test('filters: transaction streams take public_key, asset_id and operation', async (t) => {
    const body = await catalog(t, {});
    const filters = Object.fromEntries(body.streams.map((stream) => [stream.name, stream.filters]));
    for (const name of ['valid_transactions', 'valid_tx', 'invalid_transactions']) {
      assert.deepEqual(filters[name], ['public_key', 'asset_id', 'operation'], name);
    }
    const legacy = body.streams.find((stream) => stream.name === 'valid_tx')!;
    assert.deepEqual(Object.keys(legacy.example), ['txid', 'assetid', 'blockid']);
  });
});
