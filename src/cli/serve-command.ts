// `netready serve`: parse flags and/or --config (serve-config.ts), then print the effective
// configuration (--print-config), verify a deployment (--check, serve-check.ts), or run the probe
// (src/serve/probe.ts): print one line per listener, run until SIGINT/SIGTERM (or the given
// signal), then close every socket — and stop a managed coturn — within 2 s.

import { UsageError } from '../shared/errors.js';
import { formatHostPort } from '../serve/server.js';
import { startProbe } from '../serve/probe.js';
import { buildProbeConfig, planOrUsage, printConfig, type ServeCommandOptions } from './serve-config.js';
import { checkDeployment } from './serve-check.js';
import { StoreOpenError } from '../serve/store/index.js';
import { redactPgUrl } from '../serve/store/postgres.js';

export { parseListen, type ServeCommandOptions } from './serve-config.js';

export interface ServeCommandIo {
  /** Stops the server like SIGINT does (tests). */
  signal?: AbortSignal;
  out?: (line: string) => void;
  err?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Called once the server is up (tests). */
  onReady?: (info: { urls: string[]; httpUrls: string[]; caFile?: string; adminToken: string; uploadToken: string | null }) => void;
}

/** The limits `netready serve --help` states (SERVE_DEFAULTS and the modules' own bounds). */
export async function serveCommand(o: ServeCommandOptions, io: ServeCommandIo = {}): Promise<number> {
  const out = io.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = io.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  if (o.printConfig && o.check) throw new UsageError('--print-config and --check: give one');
  const built = buildProbeConfig(o, io.env ?? process.env);
  const plan = planOrUsage(built.config);
  if (o.printConfig) {
    out(printConfig(built, plan).trimEnd());
    return 0;
  }
  if (o.check) return checkDeployment(built, plan, { out });

  let handle;
  try {
    handle = await startProbe(built.config, { plan, writeCaFile: true, log: err });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // A store that cannot be opened (bad file, locked, unreachable PostgreSQL): one line, exit 2.
    if (e instanceof StoreOpenError) throw new UsageError(`serve: --store: ${e.message}`);
    // A port in use or not permitted, coturn missing: the user's input, one line.
    throw new UsageError(`serve: ${(e as Error).message}`);
  }

  for (const a of handle.addresses) out(`https     ${formatHostPort(a.host, a.port)}  HTTPS, WSS, SSE`);
  for (const a of handle.httpAddresses) out(`http      ${formatHostPort(a.host, a.port)}  plain HTTP`);
  for (const l of handle.moduleLines) out(l);
  if (handle.caFile) out(`ca        ${handle.caFile}  (throw-away CA: give it to check with --ca; removed on exit)`);
  out(
    plan.adminTokenGenerated
      ? `admin     token ${plan.adminToken}  (for /.netready/status and /.netready/browser-results: Authorization: Bearer TOKEN; set one with --admin-token-file)`
      : `admin     token from ${built.secrets.admin}`,
  );
  if (built.config.results) {
    out(`results   store ${redactPgUrl(built.config.results.store)}  (uploads POST /.netready/reports, share links /r/…, admin view /results)`);
    out(
      plan.uploadTokenGenerated
        ? `upload    token ${plan.uploadToken}  (for netready check --upload URL --upload-token-file FILE; set one with --upload-token-file)`
        : `upload    token from ${built.secrets.upload}`,
    );
  }
  out('netready serve is running; Ctrl-C to stop');
  io.onReady?.({ urls: handle.urls, httpUrls: handle.httpUrls, ...(handle.caFile ? { caFile: handle.caFile } : {}), adminToken: plan.adminToken, uploadToken: plan.uploadToken });

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (io.signal?.aborted) stop();
    else io.signal?.addEventListener('abort', stop, { once: true });
  });
  const closed = await Promise.race([handle.close().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 2_000).unref())]);
  if (!closed) err('netready serve: some sockets did not close within 2 s');
  return 0;
}
