// The local address the OS routes toward an address: connect() a UDP socket, which only picks the
// route and the source address and sends nothing. Used by the PAC sandbox's myIpAddress() and by
// webrtc.ice (host candidates on the interface that routes to the probe).

import dgram from 'node:dgram';
import net from 'node:net';

export function localAddressToward(address: string): Promise<string | null> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    const finish = (v: string | null) => {
      try {
        sock.close();
      } catch {
        /* closed */
      }
      resolve(v);
    };
    sock.once('error', () => finish(null));
    sock.connect(9, address, () => {
      try {
        finish(sock.address().address);
      } catch {
        finish(null);
      }
    });
  });
}
