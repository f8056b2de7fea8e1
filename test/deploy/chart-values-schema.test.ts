/**
 * Values the chart must refuse: `helm template` fails, naming what is wrong, for values that
 * values.schema.json rejects (types, enums, minimums, unknown keys, a weakened securityContext)
 * and for combinations the templates refuse (no Redis or two, a grace shorter than the drain).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { helmOrSkip } from '../support/helm.js';

const available = helmOrSkip();

/** --set assignments and the pattern helm's error must match. */
const REFUSED: { why: string; set: string[]; error: RegExp }[] = [
  {
    why: 'a negative replica count',
    set: ['gateway.replicaCount=-1'],
    error: /\/gateway\/replicaCount.*minimum/,
  },
  { why: 'an unknown profile', set: ['config.profile=bitcoin'], error: /\/config\/profile.*one of/ },
  {
    why: 'an unknown top-level key',
    set: ['gatway.replicaCount=3'],
    error: /additional properties 'gatway'/,
  },
  { why: 'an unknown component key', set: ['gateway.maxConections=5'], error: /\/gateway.*'maxConections'/ },
  { why: 'a string where a number goes', set: ['ingest.maxBodyBytes=big'], error: /\/ingest\/maxBodyBytes/ },
  { why: 'a zero drain rate', set: ['gateway.drain.rate=0'], error: /\/gateway\/drain\/rate.*minimum/ },
  { why: 'an unknown Service type', set: ['gateway.service.type=Public'], error: /\/gateway\/service\/type/ },
  {
    why: 'a port out of range',
    set: ['gateway.service.port=70000'],
    error: /\/gateway\/service\/port.*maximum/,
  },
  { why: 'running as root', set: ['containerSecurityContext.runAsNonRoot=false'], error: /runAsNonRoot/ },
  {
    why: 'a writable root filesystem',
    set: ['containerSecurityContext.readOnlyRootFilesystem=false'],
    error: /readOnlyRootFilesystem/,
  },
  {
    why: 'a short ingest token',
    set: ['ingest.auth.tokens={short}'],
    error: /\/ingest\/auth\/tokens\/0.*minLength/,
  },
  {
    why: 'a Redis URL of another scheme',
    set: ['redis.enabled=false', 'externalRedis.url=http://redis:6379'],
    error: /\/externalRedis\/url.*pattern/,
  },
  {
    why: 'a Sentinel without a port',
    set: ['externalRedis.sentinel.hosts={sentinel}'],
    error: /sentinel\/hosts\/0/,
  },
  {
    why: 'a client address header the gateway does not read',
    set: ['gateway.policy.clientAddressHeader=x-real-ip'],
    error: /\/gateway\/policy\/clientAddressHeader/,
  },
  { why: 'an unknown log level', set: ['config.logLevel=verbose'], error: /\/config\/logLevel/ },
  {
    why: 'no Redis at all',
    set: ['redis.enabled=false'],
    error: /set exactly one of redis\.enabled.*found 0/,
  },
  {
    why: 'two Redis at once',
    set: ['externalRedis.url=redis://redis:6379'],
    error: /set exactly one of redis\.enabled.*found 2/,
  },
  {
    why: 'Sentinel without a master name',
    set: ['redis.enabled=false', 'externalRedis.sentinel.hosts={s:26379}'],
    error: /masterName is required/,
  },
  {
    why: 'a gateway grace shorter than preStop + drain',
    set: ['gateway.terminationGracePeriodSeconds=30'],
    error: /terminationGracePeriodSeconds \(30\) must exceed .* \(40 s\)/,
  },
  {
    why: 'a drain that cannot close every connection within its grace',
    set: ['gateway.maxConnections=100000', 'gateway.drain.rate=1000'],
    error: /closing 100000 connections at 1000\/s takes 100 s/,
  },
  {
    why: 'an ingest grace shorter than its shutdown',
    set: ['ingest.terminationGracePeriodSeconds=5'],
    error: /ingest\.terminationGracePeriodSeconds \(5 s\) must exceed ingest\.shutdownGraceMs/,
  },
  { why: 'an Ingress without a host', set: ['ingress.enabled=true'], error: /ingress\.host is required/ },
];

describe(
  'Helm chart values the chart refuses',
  { ...('skip' in available ? { skip: available.skip } : {}) },
  () => {
    test('the defaults render (so each refusal below is caused by its own values)', async () => {
      if (!('helm' in available)) return;
      assert.equal((await available.helm.template()).ok, true);
    });

    for (const { why, set, error } of REFUSED) {
      test(`helm template fails on ${why}`, async () => {
        if (!('helm' in available)) return;
        const rendered = await available.helm.template({ set });
        assert.equal(rendered.ok, false, `${set.join(' ')} rendered`);
        if (!rendered.ok) assert.match(rendered.error, error);
      });
    }
  },
);
