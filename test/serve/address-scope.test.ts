import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isNonPublic, mayAnswer } from '../../src/serve/address-scope.js';

test('non-public addresses: loopback, private, link-local, CGNAT, benchmarking, multicast, ULA', () => {
  for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '100.127.255.255', '198.18.1.2', '198.19.0.2', '224.0.0.1', '0.0.0.0', '::1', 'fd00::5', 'fe80::1', 'ff02::1', '::ffff:10.0.0.1'])
    assert.equal(isNonPublic(a), true, a);
  for (const a of ['203.0.113.10', '8.8.8.8', '172.32.0.1', '100.128.0.1', '198.20.0.1', '2001:db8::1', '::ffff:203.0.113.9', 'not-an-ip'])
    assert.equal(isNonPublic(a), false, a);
});

test('a public responder answers no private source; a private or wildcard one answers all', () => {
  assert.equal(mayAnswer('203.0.113.10', '10.0.0.5'), false);
  assert.equal(mayAnswer('203.0.113.10', '169.254.169.254'), false);
  assert.equal(mayAnswer('203.0.113.10', '198.51.100.7'), true);
  assert.equal(mayAnswer('127.0.0.1', '127.0.0.2'), true);
  assert.equal(mayAnswer('198.19.1.46', '198.18.1.2'), true, 'the lab');
  assert.equal(mayAnswer('0.0.0.0', '10.0.0.5'), true);
});
