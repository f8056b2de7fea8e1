/**
 * What the chart renders is what the services accept: for the defaults and every ci/*.yaml value
 * set, each component's environment (its ConfigMap, literal env and the Secrets the chart renders;
 * Secrets managed outside the chart stand in with valid values) goes through that service's own
 * config loader, which throws a ConfigError on any value it would refuse at start.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { loadDiscoveryConfig } from '@blockcast/discovery';
import { loadGatewayConfig } from '@blockcast/gateway';
import { loadIngestConfig } from '@blockcast/ingest';
import { helmOrSkip, type Manifest } from '../support/helm.js';
import { componentObject, ofKind, onlyContainer, plainEnv, VALUE_SETS } from './chart-objects.js';

const available = helmOrSkip();
const SETS = ['defaults', ...VALUE_SETS];

/** Valid stand-ins for keys of Secrets the chart does not render (existingSecret value sets). */
const OUTSIDE_SECRETS: Record<string, string> = {
  REDIS_URL: 'redis://redis.example:6379',
  REDIS_PASSWORD: 'a-password',
  INGEST_TOKENS: 'a-token-managed-outside-the-chart',
  INGEST_HMAC_SECRETS: 'an-hmac-secret-managed-outside',
  GATEWAY_JWT_SECRET: 'a-jwt-secret-of-at-least-32-bytes-long',
};

function resolvedEnv(manifests: Manifest[], deployment: Manifest): Record<string, string> {
  const env = plainEnv(manifests, deployment);
  for (const variable of onlyContainer(deployment).env ?? []) {
    const reference = variable.valueFrom?.secretKeyRef;
    if (reference === undefined) continue;
    const secret = ofKind(manifests, 'Secret').find((manifest) => manifest.metadata.name === reference.name);
    const encoded = secret?.data?.[reference.key];
    if (secret !== undefined) assert.ok(encoded, `${reference.name} has the key ${reference.key}`);
    env[variable.name] =
      encoded !== undefined
        ? Buffer.from(encoded, 'base64').toString()
        : (OUTSIDE_SECRETS[variable.name] ?? '');
  }
  return env;
}

describe(
  'the services accept the environment the chart renders',
  {
    ...('skip' in available ? { skip: available.skip } : {}),
  },
  () => {
    const rendered = new Map<string, Manifest[]>();

    before(async () => {
      if (!('helm' in available)) return;
      for (const set of SETS)
        rendered.set(set, await available.helm.render(set === 'defaults' ? {} : { files: [set] }));
    });

    test('gateway: its config loader accepts every value set, on ports 9985 and 9988, on Redis', () => {
      for (const set of SETS) {
        const manifests = rendered.get(set) as Manifest[];
        const env = resolvedEnv(manifests, componentObject(manifests, 'Deployment', 'gateway'));
        const config = loadGatewayConfig(env);
        assert.deepEqual([config.port, config.opsPort], [9985, 9988], set);
        assert.equal(config.maxConnections, Number(env.GATEWAY_MAX_CONNECTIONS), `${set}: maxConnections`);
        assert.equal(
          config.maxBackpressureBytes,
          Number(env.GATEWAY_MAX_BACKPRESSURE_BYTES),
          `${set}: an integer`,
        );
        assert.ok(config.redis !== undefined, `${set}: the gateway is given a Redis`);
        if (set === 'ci/policy-values.yaml') {
          assert.equal(config.policy.allowedOrigins.length, 2);
          assert.equal(config.policy.maxConnectionsPerAddress, 50);
          assert.equal(config.policy.trustedProxies.length, 2);
          assert.equal(config.policy.clientAddressHeader, 'forwarded');
          assert.deepEqual([...(config.auth?.privateStreams ?? [])], ['valid_transactions', 'events']);
        } else {
          assert.equal(config.auth, undefined, `${set}: streams are public unless a token secret is given`);
        }
      }
    });

    test('ingest: its config loader accepts every value set, with the tokens of the Secret', () => {
      for (const set of SETS) {
        const manifests = rendered.get(set) as Manifest[];
        const env = resolvedEnv(manifests, componentObject(manifests, 'Deployment', 'ingest'));
        const config = loadIngestConfig(env);
        assert.deepEqual([config.port, config.opsPort], [9986, 9987], set);
        assert.ok(config.auth.tokens.length > 0, `${set}: ingest has tokens`);
        assert.equal(config.auth.allowNoAuth, false, `${set}: never without credentials`);
        assert.equal(config.maxBodyBytes, Number(env.INGEST_MAX_BODY_BYTES), `${set}: maxBodyBytes`);
        assert.ok(config.redis !== undefined, `${set}: ingest is given a Redis`);
      }
    });

    test('discovery: its config loader accepts every value set and advertises the chart’s stream address', () => {
      for (const set of SETS) {
        const manifests = rendered.get(set) as Manifest[];
        const env = resolvedEnv(manifests, componentObject(manifests, 'Deployment', 'discovery'));
        const config = loadDiscoveryConfig(env);
        assert.deepEqual([config.port, config.opsPort], [9984, 9990], set);
        assert.equal(config.advertised.host, env.ADVERTISED_STREAMS_HOST, `${set}: advertised host`);
      }
    });
  },
);
