// Runs `netready serve` (src/cli/serve-command.ts serveCommand, the real command) in the lab's
// vendor namespace with the lab certificate. Same options as the serve command: --listen ADDR:PORT
// (repeatable), --http ADDR:PORT (repeatable), --cert FILE, --key FILE, --stun ADDR:PORT,
// --udp-echo ADDR, --udp-ports LIST, --turn-url URL (repeatable), --turn-secret S.
// Runs until SIGTERM/SIGINT.
import { serveCommand, type ServeCommandOptions } from '../../src/cli/serve-command.js';
import { UsageError } from '../../src/shared/errors.js';

const o: ServeCommandOptions & { listen: string[]; http: string[]; turnUrl: string[] } = { listen: [], http: [], turnUrl: [], maxConnections: 2048 };
const a = process.argv.slice(2);
for (let i = 0; i < a.length; i++) {
  const v = a[i + 1];
  if (v === undefined) {
    console.error(`serve-entry: ${a[i]} needs a value`);
    process.exit(2);
  }
  if (a[i] === '--listen') o.listen.push(v);
  else if (a[i] === '--http') o.http.push(v);
  else if (a[i] === '--cert') o.cert = v;
  else if (a[i] === '--key') o.key = v;
  else if (a[i] === '--stun') o.stun = v;
  else if (a[i] === '--udp-echo') o.udpEcho = v;
  else if (a[i] === '--udp-ports') o.udpPorts = v;
  else if (a[i] === '--turn-url') o.turnUrl.push(v);
  else if (a[i] === '--turn-secret') o.turnSecret = v;
  else {
    console.error(`serve-entry: unknown option ${a[i]}`);
    process.exit(2);
  }
  i++;
}
serveCommand(o).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`serve-entry: ${e instanceof UsageError ? e.message : (e as Error).stack}`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
