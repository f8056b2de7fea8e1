import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientAddress } from '../../services/gateway/src/policy/client-address.js';
import { loadPolicyConfig } from '../../services/gateway/src/policy/policy-config.js';

const behind = (proxies: string, header = 'x-forwarded-for') => {
  const config = loadPolicyConfig({
    GATEWAY_TRUSTED_PROXIES: proxies,
    GATEWAY_CLIENT_ADDRESS_HEADER: header,
  });
  return new ClientAddress(config.trustedProxies, config.clientAddressHeader);
};
const from = (peer: string, forwardedFor: string[] = [], forwarded: string[] = []) => ({
  peer,
  forwardedFor,
  forwarded,
});

test('without trusted proxies the TCP peer is the client, whatever the headers say', () => {
  const resolver = new ClientAddress([], 'x-forwarded-for');
  assert.equal(resolver.resolve(from('127.0.0.1', ['6.6.6.6'], ['for=7.7.7.7'])), '127.0.0.1');
  assert.equal(
    resolver.resolve(from('::ffff:10.1.2.3')),
    '10.1.2.3',
    'an IPv4-mapped peer is its IPv4 address',
  );
});

test('an untrusted peer is the client even when trusted proxies are configured', () => {
  assert.equal(behind('10.0.0.0/8').resolve(from('192.0.2.1', ['6.6.6.6'])), '192.0.2.1');
});

test('behind trusted proxies the first untrusted address from the right is the client; what it wrote further left is ignored', () => {
  const resolver = behind('10.0.0.0/8, 127.0.0.1');
  assert.equal(resolver.resolve(from('127.0.0.1', ['203.0.113.7'])), '203.0.113.7');
  assert.equal(resolver.resolve(from('127.0.0.1', ['6.6.6.6, 203.0.113.7, 10.1.1.1'])), '203.0.113.7');
  // A proxy that adds its own header line after the client's forged one.
  assert.equal(resolver.resolve(from('127.0.0.1', ['6.6.6.6', '203.0.113.7'])), '203.0.113.7');
  assert.equal(
    resolver.resolve(from('10.9.9.9', ['10.1.1.1', '10.2.2.2'])),
    '10.1.1.1',
    'all trusted: the leftmost',
  );
});

test('only the header the proxies write is read: a Forwarded the client sent beside X-Forwarded-For is ignored, and the reverse', () => {
  const xff = behind('127.0.0.1');
  assert.equal(xff.resolve(from('127.0.0.1', ['203.0.113.7'], ['for=6.6.6.6'])), '203.0.113.7');
  assert.equal(
    xff.resolve(from('127.0.0.1', [], ['for=6.6.6.6'])),
    '127.0.0.1',
    'no X-Forwarded-For: the proxy',
  );
  const forwarded = behind('127.0.0.1', 'forwarded');
  assert.equal(forwarded.resolve(from('127.0.0.1', ['6.6.6.6'], ['for=203.0.113.7'])), '203.0.113.7');
  assert.equal(forwarded.resolve(from('127.0.0.1', ['6.6.6.6'])), '127.0.0.1', 'no Forwarded: the proxy');
});

test('Forwarded (RFC 7239): several lines and elements, quoted, bracketed IPv6, ports, unknown hops', () => {
  const resolver = behind('127.0.0.1/32,fd00::/8', 'forwarded');
  assert.equal(
    resolver.resolve(from('127.0.0.1', [], ['for=192.0.2.60;proto=http;by=203.0.113.43'])),
    '192.0.2.60',
  );
  assert.equal(
    resolver.resolve(from('127.0.0.1', [], ['For="[2001:DB8:cafe::17]:4711"'])),
    '2001:db8:cafe::17',
  );
  assert.equal(
    resolver.resolve(from('127.0.0.1', [], ['for=198.51.100.17:8080, for="[fd00::1]"'])),
    '198.51.100.17',
  );
  assert.equal(
    resolver.resolve(from('127.0.0.1', [], ['for=6.6.6.6, for=7.7.7.7', 'proto=https; for=203.0.113.9'])),
    '203.0.113.9',
    'the element the proxy appended on its own line wins over the client’s',
  );
  assert.equal(
    resolver.resolve(from('127.0.0.1', [], ['for=unknown'])),
    '127.0.0.1',
    'an unknown hop ends at the proxy',
  );
  assert.equal(resolver.resolve(from('127.0.0.1', [], ['for=_hidden, for=192.0.2.1'])), '192.0.2.1');
});

test('an obfuscated identifier (for=_token) a trusted proxy wrote is that client, never the proxy', () => {
  const resolver = behind('127.0.0.1', 'forwarded');
  assert.equal(resolver.resolve(from('127.0.0.1', [], ['for=_gazonk'])), '_gazonk');
  assert.equal(resolver.resolve(from('127.0.0.1', [], ['for=192.0.2.1, for="_SEVKISEK"'])), '_SEVKISEK');
  assert.equal(resolver.resolve(from('127.0.0.1', [], ['for="_bad token"'])), '127.0.0.1', 'not a token');
});

test('X-Forwarded-For entries with ports, IPv6 forms, several lines, and garbage', () => {
  const resolver = behind('127.0.0.1');
  assert.equal(resolver.resolve(from('127.0.0.1', ['192.0.2.1:5555'])), '192.0.2.1');
  assert.equal(resolver.resolve(from('127.0.0.1', ['[2001:db8::1]:80'])), '2001:db8::1');
  assert.equal(resolver.resolve(from('127.0.0.1', ['2001:DB8::2'])), '2001:db8::2');
  assert.equal(resolver.resolve(from('127.0.0.1', ['::ffff:192.0.2.3'])), '192.0.2.3');
  assert.equal(
    resolver.resolve(from('127.0.0.1', ['6.6.6.6, 7.7.7.7', '203.0.113.9, 127.0.0.1'])),
    '203.0.113.9',
  );
  assert.equal(resolver.resolve(from('127.0.0.1', ['not-an-address'])), '127.0.0.1');
  assert.equal(
    resolver.resolve(from('127.0.0.1', ['_hidden'])),
    '127.0.0.1',
    'no obfuscation in X-Forwarded-For',
  );
});
