// A tiny real CONNECT proxy for tests: optional Basic auth, a deny list answering 403 the way
// squid does (Server: squid, X-Squid-Error). Tunnels to 127.0.0.1 at the requested port, or at
// the port `map` gives for the requested host.
import net from 'node:net';

/** A tiny real CONNECT proxy: optional Basic auth, a deny list answering 403 like squid. */
export async function connectProxy(t: { after(fn: () => unknown): void }, opts: { auth?: string; deny?: RegExp; map?: Record<string, number> } = {}): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  const socks = new Set<net.Socket>();
  const s = net.createServer((c) => {
    socks.add(c);
    c.on('close', () => socks.delete(c));
    c.on('error', () => {});
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      const i = buf.indexOf('\r\n\r\n');
      if (i < 0) return;
      c.off('data', onData);
      const [line, ...hdrs] = buf.slice(0, i).split('\r\n');
      const [method, authority] = line.split(' ');
      seen.push(line);
      const auth = hdrs.find((h) => /^proxy-authorization:/i.test(h))?.split(': ')[1];
      if (opts.auth && auth !== `Basic ${Buffer.from(opts.auth).toString('base64')}`)
        return c.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\nServer: squid/6.13\r\nContent-Length: 0\r\n\r\n');
      if (method !== 'CONNECT') {
        // Plain HTTP: an absolute-URI request, forwarded in origin form with a Via header added.
        const u = /^[A-Z]+ http:\/\/([^/:]+)(?::(\d+))?(\/\S*) HTTP\/1\.1$/.exec(line);
        if (!u) return c.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
        if (opts.deny?.test(u[1])) return c.end('HTTP/1.1 403 Forbidden\r\nServer: squid/6.13\r\nX-Squid-Error: ERR_ACCESS_DENIED 0\r\nContent-Length: 0\r\n\r\n');
        const up = net.connect(opts.map?.[u[1]] ?? Number(u[2] ?? 80), '127.0.0.1');
        up.on('error', () => c.destroy());
        socks.add(up);
        up.on('close', () => socks.delete(up));
        up.write([`${method} ${u[3]} HTTP/1.1`, ...hdrs.filter((h) => !/^proxy-/i.test(h)), 'Via: 1.1 testproxy'].join('\r\n') + '\r\n\r\n');
        up.pipe(c);
        return;
      }
      if (opts.deny?.test(authority))
        return c.end('HTTP/1.1 403 Forbidden\r\nServer: squid/6.13\r\nX-Squid-Error: ERR_ACCESS_DENIED 0\r\nContent-Length: 0\r\n\r\n');
      const [h, p] = authority.split(/:(?=\d+$)/);
      const up = net.connect(opts.map?.[h] ?? Number(p), '127.0.0.1');
      up.on('error', () => c.destroy());
      up.once('connect', () => {
        c.write('HTTP/1.1 200 Connection established\r\n\r\n');
        const rest = Buffer.from(buf.slice(i + 4), 'latin1');
        if (rest.length) up.write(rest);
        c.pipe(up).pipe(c);
      });
      socks.add(up);
      up.on('close', () => socks.delete(up));
    };
    c.on('data', onData);
  });
  const port = await listen(s);
  t.after(() => {
    for (const x of socks) x.destroy();
    return new Promise<void>((r) => s.close(() => r()));
  });
  return { port, seen };
}


function listen(server: net.Server): Promise<number> {
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port)));
}
