// Runs `netready serve` (src/serve/server.ts startServe) in the lab's vendor namespace with the
// lab certificate. Same options as the serve command: --listen ADDR:PORT (repeatable),
// --http ADDR:PORT (repeatable), --cert FILE, --key FILE. Runs until SIGTERM/SIGINT.
import { readFileSync } from 'node:fs';
import { startServe, type ListenAddr } from '../../src/serve/server.js';

function addr(s: string): ListenAddr {
  const i = s.lastIndexOf(':');
  return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
}

const listen: ListenAddr[] = [];
const httpListen: ListenAddr[] = [];
let cert = '';
let key = '';
const a = process.argv.slice(2);
for (let i = 0; i < a.length; i++) {
  const v = a[i + 1];
  if (a[i] === '--listen') listen.push(addr(v)), i++;
  else if (a[i] === '--http') httpListen.push(addr(v)), i++;
  else if (a[i] === '--cert') (cert = readFileSync(v, 'utf8')), i++;
  else if (a[i] === '--key') (key = readFileSync(v, 'utf8')), i++;
  else {
    console.error(`serve-entry: unknown option ${a[i]}`);
    process.exit(2);
  }
}
const h = await startServe({ listen, httpListen, certPem: cert, keyPem: key, maxConnections: 2048 });
console.log(`serve: ${[...h.urls, ...h.httpUrls].join(' ')}`);
const stop = () => {
  void h.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2500).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
