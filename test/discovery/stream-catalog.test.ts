import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildCatalogDocument, GATEWAY_FEATURES, loadDiscoveryConfig } from '@blockcast/discovery';
import { STREAM_CATALOG } from '@blockcast/protocol';
import { parseStreamRequest, StreamRequestError } from '../../services/gateway/src/stream-request.js';
import { discoveryApp, get } from './support.js';

interface ParameterDoc {
  values: string[];
  default: string;
  description: string;
}

interface CatalogStream {
  name: string;
  url: string;
  description: string;
  frame: string;
  example: Record<string, unknown>;
  parameters: Record<string, ParameterDoc>;
  filters: string[];
  resume: string | null;
  retention_blocks: number;
  profile: string;
}

interface Catalog {
  profile: string;
  streams_root: string;
  retention_blocks: number;
  keep_alive: { send: string; reply: string; description: string };
  filters: { parameter: string; description: string }[];
  resume: { supported: boolean; parameter?: string; usage?: string };
  streams: CatalogStream[];
}

async function catalog(
  t: Parameters<typeof discoveryApp>[0],
  env: Record<string, string>,
  url = '/api/v1/streams',
) {
  const response = await get(discoveryApp(t, env), url);
  assert.equal(response.status, 200);
  return JSON.parse(response.text) as Catalog;
}

/** What the gateway's own parser says about a query on a stream: accepted, or the refusal code. */
function gatewayAnswer(stream: string, query: string): string {
  try {
    parseStreamRequest(`/api/v1/streams/${stream}`, query, 'bigchaindb');
    return 'accepted';
  } catch (error) {
    if (error instanceof StreamRequestError) return error.code;
    throw error;
  }
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
      assert.equal(stream.url, `wss://streams.example.com:443/api/v1/streams/${stream.name}`);
      assert.ok(stream.description.length > 0, stream.name);
      assert.ok(stream.frame.length > 0, stream.name);
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
    const legacy = (await catalog(t, {})).streams.find((stream) => stream.name === 'valid_tx')!;
    assert.deepEqual(Object.keys(legacy.example), ['txid', 'assetid', 'blockid']);
  });
});

describe('the catalog offers only what the gateway accepts today', () => {
  test('no filters and no resume: filters [] everywhere, resume {supported:false} and null per stream', async (t) => {
    const body = await catalog(t, {});
    assert.deepEqual(body.filters, []);
    assert.equal(body.resume.supported, false);
    assert.doesNotMatch(JSON.stringify(body.resume), /"(usage|parameter)"/);
    for (const stream of body.streams) {
      assert.deepEqual(stream.filters, [], stream.name);
      assert.equal(stream.resume, null, stream.name);
    }
    assert.deepEqual(GATEWAY_FEATURES, { filters: false, resume: false });
  });

  test('parameters: profile on valid_transactions, types on events, none elsewhere', async (t) => {
    const body = await catalog(t, { BLOCKCAST_PROFILE: 'planetmint' });
    const parameters = Object.fromEntries(
      body.streams.map((stream) => [stream.name, Object.keys(stream.parameters)]),
    );
    assert.deepEqual(parameters, {
      valid_transactions: ['profile'],
      valid_blocks: [],
      valid_tx: [],
      invalid_transactions: [],
      events: ['types'],
    });
    const valid = body.streams.find((stream) => stream.name === 'valid_transactions')!;
    assert.deepEqual(valid.parameters.profile!.values, ['bigchaindb', 'planetmint']);
    assert.equal(valid.parameters.profile!.default, 'planetmint');
    const events = body.streams.find((stream) => stream.name === 'events')!;
    assert.deepEqual(events.parameters.types!.values, ['BLOCK_VALID', 'BLOCK_INVALID']);
  });

  test('the text "ping" keep-alive answered "pong" is listed', async (t) => {
    const body = await catalog(t, {});
    assert.equal(body.keep_alive.send, 'ping');
    assert.equal(body.keep_alive.reply, 'pong');
    assert.match(body.keep_alive.description, /valid_tx.*180 seconds/);
  });

  test("every parameter value offered is accepted by the gateway's own request parser", async (t) => {
    const body = await catalog(t, {});
    for (const stream of body.streams) {
      for (const [name, doc] of Object.entries(stream.parameters)) {
        for (const value of [...doc.values, doc.default]) {
          const query = new URLSearchParams({ [name]: value }).toString();
          assert.equal(gatewayAnswer(stream.name, query), 'accepted', `${stream.name}?${query}`);
        }
      }
      for (const filter of stream.filters) {
        assert.equal(gatewayAnswer(stream.name, `${filter}=x`), 'accepted', `${stream.name}?${filter}`);
      }
      if (stream.resume !== null) assert.equal(gatewayAnswer(stream.name, 'since=1'), 'accepted');
    }
  });

  test('what the catalog leaves out, the gateway refuses with PARAMETER_NOT_SUPPORTED (flip GATEWAY_FEATURES when it stops)', async (t) => {
    const body = await catalog(t, {});
    for (const stream of body.streams) {
      if (stream.resume === null) {
        assert.equal(gatewayAnswer(stream.name, 'since=1'), 'PARAMETER_NOT_SUPPORTED', stream.name);
      }
      for (const filter of ['public_key', 'asset_id', 'operation']) {
        if (stream.filters.includes(filter)) continue;
        assert.equal(gatewayAnswer(stream.name, `${filter}=x`), 'PARAMETER_NOT_SUPPORTED', stream.name);
      }
    }
  });

  test('switched on, filters and resume appear on the transaction streams (the shape for later)', () => {
    const body = buildCatalogDocument(loadDiscoveryConfig({}), {
      filters: true,
      resume: true,
    }) as unknown as Catalog;
    assert.deepEqual(
      body.filters.map((filter) => filter.parameter),
      ['public_key', 'asset_id', 'operation'],
    );
    assert.equal(body.resume.supported, true);
    assert.equal(body.resume.usage, '?since=<height>');
    const filters = Object.fromEntries(body.streams.map((stream) => [stream.name, stream.filters]));
    for (const name of ['valid_transactions', 'valid_tx', 'invalid_transactions']) {
      assert.deepEqual(filters[name], ['public_key', 'asset_id', 'operation'], name);
    }
    assert.deepEqual(filters.valid_blocks, []);
    assert.deepEqual(filters.events, []);
    for (const stream of body.streams) assert.equal(stream.resume, '?since=<height>');
  });
});
