// The lab's WPAD server: serves one PAC file as /wpad.dat (and /proxy.pac) over plain HTTP, the way
// an office announces its proxy to browsers set to "automatically detect settings" (the lab's
// resolver answers wpad.<search domain> with this server's address). Runs in the proxy namespace
// until SIGTERM/SIGINT. Usage: wpad-server.ts --listen ADDR:PORT --file PATH
import http from 'node:http';
import { readFileSync } from 'node:fs';

const a = process.argv.slice(2);
const arg = (name: string) => {
  const i = a.indexOf(name);
  const v = i >= 0 ? a[i + 1] : undefined;
  if (!v) {
    console.error(`wpad-server: ${name} is required`);
    process.exit(2);
  }
  return v;
};
const [host, port] = arg('--listen').split(/:(?=\d+$)/);
const body = readFileSync(arg('--file'));
const srv = http.createServer((req, res) => {
  const path = (req.url ?? '').split('?')[0];
  console.log(`${new Date().toISOString()} ${req.socket.remoteAddress} ${req.method} ${req.headers.host ?? ''}${req.url ?? ''}`);
  if (req.method === 'GET' && (path === '/wpad.dat' || path === '/proxy.pac')) {
    res.writeHead(200, { 'content-type': 'application/x-ns-proxy-autoconfig', 'content-length': body.length });
    res.end(body);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found\n');
});
srv.listen(Number(port), host, () => console.log(`wpad-server: listening on ${host}:${port}`));
const stop = () => {
  srv.closeAllConnections();
  srv.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
