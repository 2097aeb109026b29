import assert from 'node:assert/strict';
import { it } from 'node:test';
import { hostFromTarget, portFromTarget } from '../../src/verdict/input.js';

it('parses the target shapes of docs/evidence.md', () => {
  const cases: [string, string | null, number | null][] = [
    ['apps.esignlive.com', 'apps.esignlive.com', null],
    ['config.opentok.com:443', 'config.opentok.com', 443],
    ['https://apps.esignlive.com/virtual-room/x/event', 'apps.esignlive.com', 443],
    ['wss://Signal.Media.prod.tokbox.com/rumorwebsocketsv2#idle', 'signal.media.prod.tokbox.com', 443],
    ['http://ocsp.godaddy.com/', 'ocsp.godaddy.com', 80],
    ['udp:probe.test:3478', 'probe.test', 3478],
    ['turn:tls:probe.test:443', 'probe.test', 443],
    ['[::1]:8443', '::1', 8443],
    ['proxy', null, null],
    ['pcc', null, null],
  ];
  for (const [t, h, p] of cases) {
    assert.equal(hostFromTarget(t), h, t);
    assert.equal(portFromTarget(t), p, t);
  }
});
