// `netready serve --config probe.yaml`, `--print-config` and `--check`: one-line errors for a
// broken file, secrets masked, and a deliberately broken deployment (wrong certificate name, a port
// taken, coturn missing) named fault by fault with a non-zero exit, through the real CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveCommand } from '../../src/cli/serve-command.js';
import { certificateFaults } from '../../src/cli/serve-check.js';
import { UsageError } from '../../src/shared/errors.js';
import { createCA, issueCert } from '../../src/net/certs.js';
import { freePort } from '../support/proc.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const noCoturn = existsSync('/usr/bin/turnserver') ? false : 'needs coturn (Debian package coturn)';

function tmp(t: { after(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'netready-probe-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function certFiles(dir: string, names: string[], o: { notAfter?: Date } = {}) {
  const ca = await createCA('probe test CA');
  const pair = await issueCert(ca, { names, ips: ['127.0.0.1'], ...(o.notAfter ? { notAfter: o.notAfter } : {}) });
  writeFileSync(join(dir, 'probe.crt'), pair.certPem);
  writeFileSync(join(dir, 'probe.key'), pair.keyPem, { mode: 0o600 });
  return { cert: join(dir, 'probe.crt'), key: join(dir, 'probe.key'), caPem: ca.certPem, pair };
}

function cli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(kill);
      resolve({ code, out, err });
    });
  });
}

test('a broken probe.yaml: one line naming the file and the field', async (t) => {
  const dir = tmp(t);
  const file = join(dir, 'probe.yaml');
  const cases: Array<[string, RegExp]> = [
    ['listen: [127.0.0.1:8443\n', /^probe\.yaml: not valid YAML: /],
    ['listen: ["127.0.0.1:8443"]\nlisen: []\n', /^probe\.yaml: field lisen: not a known field$/],
    ['listen: "127.0.0.1:8443"\n', /^probe\.yaml: field listen: expected/],
    ['listen: ["127.0.0.1"]\n', /^probe\.yaml: field listen\.0: expected ADDR:PORT, got "127\.0\.0\.1"$/],
    ['listen: ["127.0.0.1:0"]\nudpEcho: { address: nowhere }\n', /^probe\.yaml: field udpEcho\.address: expected an IP address, got "nowhere"$/],
    ['listen: ["127.0.0.1:0"]\nudpEcho: { address: 127.0.0.1, ports: "5000-4000" }\n', /^probe\.yaml: field udpEcho\.ports: range 5000-4000 runs backwards$/],
    ['listen: ["127.0.0.1:0"]\nturn: { mode: sometimes }\n', /^probe\.yaml: field turn\.mode: expected managed, external or off, got "sometimes"$/],
    ['listen: ["127.0.0.1:0"]\nturn: { mode: managed, port: 70000 }\n', /^probe\.yaml: field turn\.port: expected/],
    ['listen: ["127.0.0.1:0"]\nturn: { mode: managed, secretFile: missing-secret }\n', /^probe\.yaml: field turn\.secretFile: cannot read ".*missing-secret": no such file$/],
    ['listen: ["127.0.0.1:0"]\nudpEcho: { address: 127.0.0.1, ports: [49200] }\nturn: { mode: managed }\n', /^turn\.relayPorts 49160-49359 holds UDP echo ports \(49200\) on the same address$/],
    ['listen: ["127.0.0.1:443"]\nturn: { mode: managed, tlsPort: 443 }\n', /^turn: 127\.0\.0\.1:443 is also an HTTPS listen address of the serve/],
    ['listen: ["0.0.0.0:443"]\nturn: { mode: managed }\n', /^turn: managed needs an address for coturn/],
    ['listen: ["127.0.0.1:0"]\nturn: { mode: external }\n', /^probe\.yaml: field turn\.urls: an external coturn needs at least one TURN URL$/],
    ['listen: ["127.0.0.1:0"]\ncert: probe.crt\n', /^probe\.yaml: field cert needs key$/],
  ];
  for (const [text, re] of cases) {
    writeFileSync(file, text);
    await assert.rejects(
      serveCommand({ config: file, printConfig: true }, { out: () => {}, env: {} }),
      (e: unknown) => e instanceof UsageError && re.test(e.message) && !e.message.includes('\n'),
      `${JSON.stringify(text)} -> ${re}`,
    );
  }
  // The CLI: exit 2, the one line on stderr, no stack.
  writeFileSync(file, 'listen: ["127.0.0.1"]\n');
  const r = await cli(['--config', file, '--print-config'], { ...process.env, NETREADY_TURN_SECRET: '' });
  assert.equal(r.code, 2);
  assert.equal(r.err.trim(), 'netready: probe.yaml: field listen.0: expected ADDR:PORT, got "127.0.0.1"');
});

test('--print-config: the effective configuration, flags over the file, paths relative to the file, secrets masked', async (t) => {
  const dir = tmp(t);
  await certFiles(dir, ['probe.example.test']);
  writeFileSync(join(dir, 'turn.secret'), 'the-fixed-turn-secret-value\n', { mode: 0o600 });
  writeFileSync(join(dir, 'admin.token'), 'the-admin-token-value-0123456789\n', { mode: 0o600 });
  const file = join(dir, 'probe.yaml');
  writeFileSync(
    file,
    [
      'names: [probe.example.test]',
      'listen: ["198.51.100.10:443"]',
      'cert: probe.crt',
      'key: probe.key',
      'udpEcho: { address: 198.51.100.10, ports: "1025,5000-5002" }',
      'turn: { mode: managed, address: 198.51.100.11, name: turn.example.test, secretFile: turn.secret }',
      'limits: { maxPerAddress: 64 }',
      'adminTokenFile: admin.token',
      '',
    ].join('\n'),
  );
  const lines: string[] = [];
  assert.equal(await serveCommand({ config: file, printConfig: true, maxPerAddress: '32' }, { out: (l) => lines.push(l), env: {} }), 0);
  const text = lines.join('\n');
  assert.doesNotMatch(text, /the-fixed-turn-secret-value|the-admin-token-value/);
  assert.match(text, /secret: "\*\*\* \(.*turn\.secret\)"/);
  assert.match(text, /adminToken: "\*\*\* \(.*admin\.token\)"/);
  assert.match(text, /maxPerAddress: 32/, 'the flag wins over the file');
  assert.match(text, /- turns:turn\.example\.test:443\?transport=tcp/, 'coturn on its own address: TLS on 443');
  assert.match(text, /allowedPeers:\n\s+- 198\.51\.100\.11\n\s+- 198\.51\.100\.10/);
  assert.match(text, /allow inbound udp 198\.51\.100\.11:3478 +STUN and TURN over UDP/);
  assert.match(text, /allow inbound tcp 198\.51\.100\.11:443 +TURN over TLS/);
  assert.match(text, /allow inbound udp 198\.51\.100\.10:5002 +UDP echo/);
  // The secret from the environment, and the generated one, are masked the same way.
  const gen: string[] = [];
  await serveCommand({ listen: ['127.0.0.1:0'], turn: 'managed', printConfig: true }, { out: (l) => gen.push(l), env: {} });
  assert.match(gen.join('\n'), /secret: "\*\*\* \(generated at start/);
  assert.match(gen.join('\n'), /tlsPort: 443/);
  const env: string[] = [];
  await serveCommand({ listen: ['127.0.0.1:0'], turnUrl: ['turn:198.51.100.12:3478'], printConfig: true }, { out: (l) => env.push(l), env: { NETREADY_TURN_SECRET: 'secret-from-the-environment' } });
  assert.doesNotMatch(env.join('\n'), /secret-from-the-environment/);
  assert.match(env.join('\n'), /secret: "\*\*\* \(NETREADY_TURN_SECRET\)"/);
  // Two sources for one secret is a usage error.
  await assert.rejects(
    serveCommand({ listen: ['127.0.0.1:0'], turnUrl: ['turn:198.51.100.12:3478'], turnSecret: 'a', printConfig: true }, { out: () => {}, env: { NETREADY_TURN_SECRET: 'b' } }),
    /the TURN secret: give one of/,
  );
});

test('certificateFaults: every name, expiry within 14 days, not yet valid', async () => {
  const ca = await createCA('c');
  const now = Date.now();
  const good = await issueCert(ca, { names: ['probe.example.test'], notAfter: new Date(now + 60 * 86_400_000) });
  assert.deepEqual(certificateFaults(good.certPem, ['probe.example.test'], now).map((r) => r.mark), ['ok', 'ok']);
  const r = certificateFaults(good.certPem, ['probe.example.test', 'other.example.test'], now);
  assert.equal(r[1].mark, 'FAIL');
  assert.match(r[1].text, /^certificate: not valid for other\.example\.test \(it names DNS:probe\.example\.test\)$/);
  const soon = await issueCert(ca, { names: ['probe.example.test'], notAfter: new Date(now + 10 * 86_400_000) });
  assert.match(certificateFaults(soon.certPem, ['probe.example.test'], now).find((x) => x.mark === 'FAIL')!.text, /expires on .* in 9 days/);
  const late = await issueCert(ca, { names: ['probe.example.test'], notBefore: new Date(now + 86_400_000), notAfter: new Date(now + 90 * 86_400_000) });
  assert.match(certificateFaults(late.certPem, ['probe.example.test'], now).find((x) => x.mark === 'FAIL')!.text, /not valid before/);
});

test('--check on a broken deployment: wrong certificate name, a port taken, coturn missing — one line each, exit 1', async (t) => {
  const dir = tmp(t);
  await certFiles(dir, ['other.example.test']);
  // A port taken by something that is not a netready serve.
  const squatter = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', () => r()));
  t.after(() => squatter.close());
  const taken = (squatter.address() as net.AddressInfo).port;
  const file = join(dir, 'probe.yaml');
  writeFileSync(file, ['names: [probe.example.test]', `listen: ["127.0.0.1:${taken}"]`, 'cert: probe.crt', 'key: probe.key', 'turn: { mode: managed, port: 1, tlsPort: 2 }', ''].join('\n'));
  // coturn missing: a PATH without turnserver.
  const r = await cli(['--config', file, '--check'], { ...process.env, PATH: dir });
  assert.equal(r.code, 1, r.out + r.err);
  const fails = r.out.split('\n').filter((l) => l.startsWith('FAIL'));
  assert.ok(fails.some((l) => /^FAIL +certificate: not valid for probe\.example\.test \(it names DNS:other\.example\.test/.test(l)), r.out);
  assert.ok(fails.some((l) => l === `FAIL  port tcp 127.0.0.1:${taken} (HTTPS, WSS, SSE (netready serve)): in use by another process`), r.out);
  assert.ok(fails.some((l) => /^FAIL +coturn: not installed \(Debian package coturn/.test(l)), r.out);
  assert.ok(r.out.includes('skip  live checks: the faults above keep the probe from starting'));
  assert.match(r.out, /^firewall: inbound rules/m);
  assert.match(r.out, /^ {2}allow tcp 127\.0\.0\.1:2 +TURN over TLS \(coturn\)$/m);
  assert.match(r.out, /^\d+ faults$/m);
  assert.equal(r.err, '');
});

/** A working probe.yaml on loopback (a certificate for localhost, the UDP echo, a managed coturn on free ports). */
async function goodProbeYaml(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = tmp(t);
  await certFiles(dir, ['localhost']);
  const [https, turnPort, tlsPort, echo] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const min = 45000 + Math.floor(Math.random() * 90) * 40;
  const file = join(dir, 'probe.yaml');
  writeFileSync(
    file,
    [
      'names: [localhost]',
      `listen: ["127.0.0.1:${https}"]`,
      'cert: probe.crt',
      'key: probe.key',
      `udpEcho: { address: 127.0.0.1, ports: [${echo}] }`,
      `turn: { mode: managed, name: localhost, port: ${turnPort}, tlsPort: ${tlsPort}, relayPorts: "${min}-${min + 39}" }`,
      '',
    ].join('\n'),
  );
  return file;
}

test('--check on a good deployment (real coturn): every part answers, exit 0', { skip: noCoturn, timeout: 60_000 }, async (t) => {
  const file = await goodProbeYaml(t);
  const lines: string[] = [];
  const code = await serveCommand({ config: file, check: true }, { out: (l) => lines.push(l), env: {} });
  const text = lines.join('\n');
  assert.equal(code, 0, text);
  for (const re of [/^ok +certificate: valid for localhost$/m, /^ok +coturn: installed$/m, /^ok +ports: all \d+ free to bind$/m, /^ok +https 127\.0\.0\.1:\d+: answers as netready/m, /^ok +udp echo: all 1 ports answer$/m, /^ok +coturn udp 127\.0\.0\.1:\d+: answers STUN$/m, /^ok +coturn tls 127\.0\.0\.1:\d+: TLS handshake/m, /^no faults$/m])
    assert.match(text, re);
  assert.doesNotMatch(text, /^FAIL/m);
});

test('--check beside the running probe (systemd): its ports are held by netready, the live checks run against it', { skip: noCoturn, timeout: 60_000 }, async (t) => {
  const file = await goodProbeYaml(t);
  const ac = new AbortController();
  let up!: () => void;
  const ready = new Promise<void>((r) => (up = r));
  const running = serveCommand({ config: file }, { signal: ac.signal, out: () => {}, err: () => {}, env: {}, onReady: () => up() });
  t.after(async () => {
    ac.abort();
    await running;
  });
  await Promise.race([ready, running.then(() => Promise.reject(new Error('serve ended')))]);
  const lines: string[] = [];
  const code = await serveCommand({ config: file, check: true }, { out: (l) => lines.push(l), env: {} });
  const text = lines.join('\n');
  assert.equal(code, 0, text);
  assert.match(text, /^ok +ports: 5 held by the running netready serve/m);
  assert.doesNotMatch(text, /^ok +start:/m, 'no temporary instance');
  assert.match(text, /^ok +udp echo: all 1 ports answer$/m);
  assert.match(text, /^ok +coturn udp 127\.0\.0\.1:\d+: answers STUN$/m);
});

test('--store: the flags that need it, a bad spec, a bad webhook; --print-config masks the upload token and a PostgreSQL password', async (t) => {
  const dir = tmp(t);
  const usage = async (o: Parameters<typeof serveCommand>[0], env: NodeJS.ProcessEnv = {}) => {
    const e = await serveCommand({ listen: ['127.0.0.1:0'], printConfig: true, ...o }, { out: () => {}, env }).then(
      () => null,
      (x: unknown) => x,
    );
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'));
    return e.message;
  };
  assert.match(await usage({ webhook: ['https://hooks.example.test/x'] }), /need --store/);
  assert.match(await usage({ store: 'mysql://x' }), /expected sqlite:PATH or postgres:\/\//);
  assert.match(await usage({ store: 'sqlite:' }), /expected sqlite:PATH/);
  assert.match(await usage({ store: `sqlite:${join(dir, 'r.db')}`, webhook: ['ftp://x'] }), /--webhook: expected an http or https URL/);
  assert.match(await usage({ store: `sqlite:${join(dir, 'r.db')}`, shareDays: '0' }), /--share-days/);
  assert.match(await usage({ store: `sqlite:${join(dir, 'r.db')}`, orgLogo: 'javascript:alert(1)' }), /--org-logo/);
  assert.match(await usage({ store: `sqlite:${join(dir, 'r.db')}` }, { NETREADY_UPLOAD_TOKEN: 'short' }), /upload token: at least 16/);

  const lines: string[] = [];
  const tokenFile = join(dir, 'upload.token');
  writeFileSync(tokenFile, 'an-upload-token-from-a-file\n');
  await serveCommand(
    { listen: ['127.0.0.1:0'], printConfig: true, store: 'postgres://netready:pg-password-here@127.0.0.1:5432/results', uploadTokenFile: tokenFile, webhook: ['https://hooks.example.test/x?key=hook-secret'], orgName: 'Acme Bank' },
    { out: (l) => lines.push(l), env: {} },
  );
  const text = lines.join('\n');
  assert.match(text, /store: postgres:\/\/netready:\*\*\*@127\.0\.0\.1:5432\/results/);
  assert.match(text, new RegExp(`uploadToken: "\\*\\*\\* \\(${tokenFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)"`));
  assert.match(text, /orgName: Acme Bank/);
  for (const secret of ['pg-password-here', 'an-upload-token-from-a-file', 'hook-secret']) assert.ok(!text.includes(secret), `${secret} is masked`);
});

test('serve --store (the CLI): prints the store and a generated upload token; a store file it cannot open is one line, exit 2', async (t) => {
  const dir = tmp(t);
  const ac = new AbortController();
  const lines: string[] = [];
  let ready!: (i: { uploadToken: string | null }) => void;
  const up = new Promise<{ uploadToken: string | null }>((r) => (ready = r));
  const done = serveCommand({ listen: ['127.0.0.1:0'], store: `sqlite:${join(dir, 'results.db')}` }, { signal: ac.signal, out: (l) => lines.push(l), err: (l) => lines.push(l), env: {}, onReady: ready });
  try {
    const info = await Promise.race([up, done.then(() => Promise.reject(new Error(lines.join(' | '))))]);
    assert.ok(info.uploadToken && info.uploadToken.length >= 16);
    assert.ok(lines.some((l) => l.startsWith('results   store sqlite:')));
    assert.ok(lines.some((l) => l.startsWith('upload    token ') && l.includes(info.uploadToken!)), lines.join('\n'));
  } finally {
    ac.abort();
    await done;
  }
  writeFileSync(join(dir, 'not-a-db'), 'this is not an SQLite database, just text that is long enough to be read as a header.'.repeat(20));
  const r = await cli(['--listen', '127.0.0.1:0', '--store', `sqlite:${join(dir, 'not-a-db')}`], { ...process.env, NETREADY_ADMIN_TOKEN: '', NETREADY_UPLOAD_TOKEN: '' });
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /^netready: serve: --store: .*not-a-db/m);
  assert.equal(r.err.trim().split('\n').length, 1, r.err);
});

test('--check with --store: the store opens (schema, counts), a damaged store file is a FAIL line naming it, exit 1', async (t) => {
  const dir = tmp(t);
  const good: string[] = [];
  const code = await serveCommand({ listen: ['127.0.0.1:0'], store: `sqlite:${join(dir, 'results.db')}`, check: true }, { out: (l) => good.push(l), env: {} });
  assert.ok(good.some((l) => /^ok +store: sqlite:.*results\.db opens \(sqlite, schema v\d+; 0 reports, 0 sites, 0 invites\)$/.test(l)), good.join('\n'));
  assert.equal(code, 0, good.join('\n'));
  writeFileSync(join(dir, 'damaged.db'), 'not an SQLite database at all; just text long enough to have a header.'.repeat(20));
  const bad: string[] = [];
  assert.equal(await serveCommand({ listen: ['127.0.0.1:0'], store: `sqlite:${join(dir, 'damaged.db')}`, check: true }, { out: (l) => bad.push(l), env: {} }), 1);
  assert.ok(bad.some((l) => /^FAIL +store: .*damaged\.db/.test(l)), bad.join('\n'));
  assert.ok(bad.some((l) => /^skip +live checks/.test(l)), 'the probe is not started on a store that does not open');
});
