import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, readRedisTarget } from '@blockcast/common';

test('REDIS_SENTINELS lists host:port pairs (26379 by default) and takes precedence over REDIS_URL', () => {
  assert.deepEqual(
    readRedisTarget({
      REDIS_SENTINELS: 'sentinel-a:26380, sentinel-b ,10.0.0.3:26381',
      REDIS_SENTINEL_MASTER: 'blockcast',
      REDIS_PASSWORD: 'secret',
      REDIS_URL: 'redis://ignored:6379',
    }),
    {
      kind: 'sentinel',
      masterName: 'blockcast',
      sentinels: [
        { host: 'sentinel-a', port: 26380 },
        { host: 'sentinel-b', port: 26379 },
        { host: '10.0.0.3', port: 26381 },
      ],
      password: 'secret',
    },
  );
});

test('REDIS_URL alone is a URL target; neither is the in-memory log (undefined)', () => {
  assert.deepEqual(readRedisTarget({ REDIS_URL: 'rediss://cache:6380/2' }), {
    kind: 'url',
    url: 'rediss://cache:6380/2',
  });
  assert.equal(readRedisTarget({}), undefined);
});

test('bad Sentinel settings are ConfigErrors naming the variable', () => {
  const cases: [Record<string, string>, string][] = [
    [{ REDIS_SENTINELS: 'a:26379' }, 'REDIS_SENTINEL_MASTER'],
    [{ REDIS_SENTINELS: 'a:port', REDIS_SENTINEL_MASTER: 'm' }, 'REDIS_SENTINELS'],
    [{ REDIS_SENTINELS: ':26379', REDIS_SENTINEL_MASTER: 'm' }, 'REDIS_SENTINELS'],
    [{ REDIS_SENTINELS: 'a:70000', REDIS_SENTINEL_MASTER: 'm' }, 'REDIS_SENTINELS'],
    [{ REDIS_URL: 'http://redis:6379' }, 'REDIS_URL'],
  ];
  for (const [env, variable] of cases) {
    assert.throws(
      () => readRedisTarget(env),
      (error: unknown) => error instanceof ConfigError && error.variable === variable,
      JSON.stringify(env),
    );
  }
});
