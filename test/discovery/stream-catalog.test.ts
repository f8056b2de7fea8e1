import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeBlockEvent } from '@blockcast/devkit';
import { buildDiscoveryApp, loadDiscoveryConfig } from '@blockcast/discovery';
import { MemoryLog } from '@blockcast/event-log';
import {
  CLOSE_CODES,
  EVENT_CATALOG,
  isParameterName,
  parseStreamRequest,
  STREAM_CATALOG,
  STREAM_PARAMETERS,
  UPGRADE_ERRORS,
  UpgradeError,
} from '@blockcast/protocol';
import { discoveryApp, get } from './support.js';

interface ParameterDoc {
  values?: string[];
  default?: string;
  description: string;
  repeatable: boolean;
}

interface CatalogStream {
  name: string;
  url: string;
  description: string;
  frame: string;
  example: Record<string, unknown>;
  parameters: Record<string, ParameterDoc>;
  retention_blocks: number;
  profile: string;
}

interface Catalog {
  profile: string;
  streams_root: string;
  retention_blocks: number;
  keep_alive: { send: string; reply: string; description: string };
  resume: { parameter: string; epoch_parameter: string; rule: string };
  close_codes: { name: string; code: number; next: string }[];
  event_types: { name: string; bit: number; source: string; schema?: Record<string, unknown> }[];
  errors: { code: string; status: number }[];
  epoch?: string | null;
  head_height?: number | null;
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

/** What the gateway's request parser (the protocol's) says about a query on a stream: accepted, or the refusal code. */
function gatewayAnswer(stream: string, query: string): string {
  try {
    parseStreamRequest(`/api/v1/streams/${stream}`, query, 'bigchaindb');
    return 'accepted';
  } catch (error) {
    if (error instanceof UpgradeError) return error.code;
    throw error;
  }
}

/** A valid value for each parameter, to ask the parser with. */
const SAMPLE: Record<string, string> = {
  profile: 'planetmint',
  types: '3',
  since: '1',
  epoch: 'a1b2c3d4e5f60718',
  public_key: '3u6SJvYCg4Zr4e3DwS2RNpBNtJjVGhjxaX4JvUHGZv1w',
  asset_id: 'a'.repeat(64),
  operation: 'TRANSFER',
};

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
    assert.equal(body.epoch, undefined, 'no event log given: no epoch shown');
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

describe('the catalog is rendered from the table the gateway parses requests with', () => {
  test('each stream lists exactly the parameters the protocol table gives it', async (t) => {
    const body = await catalog(t, { BLOCKCAST_PROFILE: 'planetmint' });
    assert.deepEqual(
      Object.fromEntries(body.streams.map((stream) => [stream.name, Object.keys(stream.parameters)])),
      {
        valid_transactions: ['profile', 'since', 'epoch', 'public_key', 'asset_id', 'operation'],
        valid_blocks: ['since', 'epoch'],
        valid_tx: ['since', 'epoch'],
        invalid_transactions: ['since', 'epoch', 'public_key', 'asset_id', 'operation'],
        events: ['types', 'since', 'epoch', 'public_key', 'asset_id', 'operation'],
      },
    );
    const valid = body.streams.find((stream) => stream.name === 'valid_transactions')!;
    assert.deepEqual(valid.parameters.profile!.values, ['bigchaindb', 'planetmint']);
    assert.equal(valid.parameters.profile!.default, 'planetmint');
    assert.equal(valid.parameters.public_key!.repeatable, true);
    const events = body.streams.find((stream) => stream.name === 'events')!;
    assert.deepEqual(events.parameters.types!.values, [
      'BLOCK_VALID',
      'BLOCK_INVALID',
      'NODE_STATUS',
      'APP_MESSAGE',
    ]);
  });

  test('the event types, emitted ones with the schema of their content, are the protocol catalog', async (t) => {
    const body = await catalog(t, {});
    assert.deepEqual(
      body.event_types.map(({ name, bit, source }) => [name, bit, source]),
      [
        ['BLOCK_VALID', 1, 'block'],
        ['BLOCK_INVALID', 2, 'block'],
        ['NODE_STATUS', 4, 'emitted'],
        ['APP_MESSAGE', 8, 'emitted'],
      ],
    );
    const nodeStatus = body.event_types.find((type) => type.name === 'NODE_STATUS')!;
    assert.deepEqual(nodeStatus.schema, EVENT_CATALOG.NODE_STATUS.schema);
    const events = body.streams.find((stream) => stream.name === 'events')!;
    assert.match(events.parameters.types!.description, /4 NODE_STATUS, 8 APP_MESSAGE/);
    assert.match(events.frame, /"type": "NODE_STATUS", "height": H, "seq": S, "content"/);
  });

  test('every parameter and value offered is accepted by the parser; every other known one is refused', async (t) => {
    const body = await catalog(t, {});
    for (const stream of body.streams) {
      for (const [name, doc] of Object.entries(stream.parameters)) {
        const values = [...(doc.values ?? []), ...(doc.default ? [doc.default] : []), SAMPLE[name]!];
        for (const value of values) {
          const query = new URLSearchParams({ [name]: value }).toString();
          assert.equal(gatewayAnswer(stream.name, query), 'accepted', `${stream.name}?${query}`);
        }
      }
      for (const name of Object.keys(STREAM_PARAMETERS)) {
        assert.ok(isParameterName(name));
        if (name in stream.parameters) continue;
        const query = `${name}=${encodeURIComponent(SAMPLE[name]!)}`;
        assert.equal(
          gatewayAnswer(stream.name, query),
          'PARAMETER_NOT_APPLICABLE',
          `${stream.name}?${query}`,
        );
      }
    }
  });

  test('close codes and upgrade refusals are the protocol tables, whole', async (t) => {
    const body = await catalog(t, {});
    assert.deepEqual(
      body.close_codes.map(({ name, code }) => [name, code]),
      Object.entries(CLOSE_CODES).map(([name, spec]) => [name, spec.code]),
    );
    assert.deepEqual(
      body.errors.map(({ code, status }) => [code, status]),
      Object.entries(UPGRADE_ERRORS).map(([code, spec]) => [code, spec.status]),
    );
    assert.equal(body.resume.parameter, 'since');
    assert.match(body.resume.rule, /minus 1/);
    assert.match(body.resume.rule, /EPOCH_REQUIRED/);
  });

  test('with the event log at hand, the catalog shows its epoch and head', async (t) => {
    const log = new MemoryLog();
    await log.append(makeBlockEvent(1, 1));
    await log.append(makeBlockEvent(2, 0));
    const app = buildDiscoveryApp({
      config: loadDiscoveryConfig({
        DISCOVERY_HOST: '127.0.0.1',
        DISCOVERY_PORT: '0',
        DISCOVERY_OPS_PORT: '0',
      }),
      log,
    });
    t.after(() => app.close());
    const body = JSON.parse((await get(app, '/api/v1/streams')).text) as Catalog;
    assert.equal(body.epoch, await log.epoch());
    assert.equal(typeof body.epoch, 'string');
    assert.equal(body.head_height, 2);
  });

  test('the text "ping" keep-alive answered "pong" is listed', async (t) => {
    const body = await catalog(t, {});
    assert.equal(body.keep_alive.send, 'ping');
    assert.equal(body.keep_alive.reply, 'pong');
    assert.match(body.keep_alive.description, /valid_tx.*180 seconds/);
  });
});
