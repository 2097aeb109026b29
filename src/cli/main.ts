// The `netready` command line. Exit codes (contract): 0 ready, 1 not ready, 4 incomplete, 2 bad usage or
// input (one line on stderr, no stack trace), 3 internal error (a report is still written).

import { Command, CommanderError, Option } from 'commander';
import { UsageError } from '../shared/errors.js';
import { VERSION } from '../shared/version.js';
// The commands are loaded when they run: `--version`, `profiles` or `report` do not load the
// network stack, and `demo` starts its serve before it loads the checks.
import { SERVE_LIMITS_HELP } from './serve-help.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

function addReportOptions(cmd: Command): Command {
  return cmd
    .option('--json <file|->', 'write the JSON report (netready/report@1); "-" = stdout and nothing else there')
    .option('--html <file>', 'write a self-contained HTML report')
    .option('--md <file>', 'write a Markdown report')
    .option('-v, --verbose', 'list every check in the terminal report', false);
}

function addCheckOptions(cmd: Command): Command {
  return addReportOptions(
    cmd
      .option('--profile <id|file>', 'built-in profile id or a YAML file; repeatable (checks are merged)', collect)
      .option('--sign-domain <host>', 'the OneSpan Sign domain (allowlist row 1)')
      .option('--param <name=value>', 'set a profile parameter (see `netready profiles`); repeatable', collect)
      .option('--probe <url>', 'a `netready serve` instance used for UDP range, TURN credentials and quality')
      .option('--ca <file>', 'extra trusted CA certificates (PEM): trusted, but not public (a vendor host chaining to one is inspected; the probe may); repeatable', collect)
      .option('--public-roots <file>', 'the roots treated as the public web PKI instead of the bundled Mozilla roots (labs, air-gapped tests)')
      .option('--resolve <host:addr>', 'use ADDR for HOST instead of DNS, like curl --resolve; repeatable', collect)
      .option('--connect-to <h1:p1:h2:p2>', 'connect to H2:P2 instead of H1:P1, like curl --connect-to; repeatable', collect)
      .option('--proxy <url>', "explicit HTTP proxy (else the system's proxy settings, HTTPS_PROXY/HTTP_PROXY/NO_PROXY as curl reads them, WPAD)")
      .option('--pac <url|file>', 'evaluate a PAC file to choose the proxy per URL')
      .option('--no-system-proxy', "do not read the system's proxy settings (WinINET, macOS, GNOME, KDE) or look up WPAD: only --proxy/--pac and the environment")
      .option('--deadline <seconds>', 'hard cap for the whole run; a partial report is still written', '30')
      .option('--idle-window <seconds>', 'how long long-lived connections are held idle', '10')
      .option('--quality-seconds <seconds>', 'the length of the quality phase', '5')
      .option('--thorough', 'hold idle connections 330 s (sees a 60 s or 5-minute proxy cut); lengthens --deadline to fit', false)
      .option('--concurrency <n>', 'checks run at once', '16')
      .option('--save-raw <file>', "save the run's raw evidence for --from-raw")
      .option('--upload <url>', 'after the run, post the report to a `netready serve --store` (its URL) and print the share link')
      .option('--site <name>', "--upload: the site the report belongs to (its history on the serve's /results)")
      .option('--label <text>', '--upload: a free label for the report')
      .option('--upload-token-file <file>', '--upload: the serve\'s upload token, from a file (or NETREADY_UPLOAD_TOKEN)')
      .option('--upload-token <token>', '--upload: the same on the command line (visible in ps: prefer --upload-token-file)')
      .addOption(new Option('--from-raw <file>', 'replay saved raw evidence through the verdict, without a network')),
  );
}

export function buildProgram(): Command {
  const program = new Command('netready')
    .description('Will this network carry a OneSpan Virtual Room video-signing session? And if not, what to change.')
    .version(VERSION)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  addCheckOptions(program.command('check').description("run a profile's checks from this machine and write a report")).action(
    async (o) => { process.exitCode = await (await import('./check-command.js')).checkCommand(o); },
  );

  program
    .command('serve')
    .description('the self-hosted far end (the probe): vendor stand-in and measurement server')
    .option('--config <file>', 'a probe configuration (YAML; see docs/deploy-probe.md); flags given as well win')
    .option('--print-config', 'print the effective configuration (secrets masked) and exit')
    .option('--check', 'verify this deployment (certificate, ports, coturn, UDP echo), print the firewall rules; exit 1 on a fault')
    .option('--listen <addr:port>', 'an HTTPS/WSS/SSE listener; repeatable', collect)
    .option('--http <addr:port>', 'a plain HTTP listener (OCSP/CRL stand-ins); repeatable', collect)
    .option('--cert <file>', 'certificate served for every name (default: a throw-away CA)')
    .option('--key <file>', 'private key for --cert')
    .option('--name <host>', "the probe's public name (its identity in reports; the certificate must cover it); repeatable", collect)
    .option('--stun <addr:port>', 'STUN binding responder, UDP and TCP')
    .option('--udp-echo <addr>', 'address of the tokened UDP echo')
    .option('--udp-ports <list>', 'UDP echo ports, e.g. 1025,5000,20000-20010,65535')
    .option('--turn <mode>', 'managed: run and supervise a coturn child configured by serve; off (default; an external coturn: --turn-url)')
    .option('--turn-address <addr>', "--turn managed: coturn's address (default: the UDP echo's, else the first --listen address)")
    .option('--turn-name <host>', '--turn managed: the host name in the TURN URLs (on the certificate)')
    .option('--turn-port <port>', '--turn managed: UDP/TCP port (default 3478)')
    .option('--turn-tls-port <port>', '--turn managed: TLS port (default 443, 5349 when serve holds that address:443)')
    .option('--turn-relay-ports <min-max>', '--turn managed: relay port range (default 49160-49359)')
    .option('--turn-external-ip <addr>', '--turn managed: the public address in front of a 1:1 NAT')
    .option('--turn-url <url>', 'an external coturn URL to hand out credentials for; repeatable', collect)
    .option('--turn-secret-file <file>', "the coturn static-auth-secret, from a file (or NETREADY_TURN_SECRET); with --turn managed it fixes the secret")
    .option('--turn-secret <secret>', 'the same on the command line (visible in ps: prefer --turn-secret-file)')
    .option('--turn-relay-ip <addr>', "the address an external coturn relays from when it is not the --turn-url host's (coturn --relay-ip/--external-ip); repeatable", collect)
    .option('--webrtc-host <addr>', 'an address the WebRTC peer also offers as a host candidate, e.g. the public address in front of a 1:1 NAT; repeatable', collect)
    .option('--max-connections <n>', 'maximum concurrent connections (default 4096)')
    .option('--max-per-address <n>', 'maximum concurrent connections from one client address (default 256)')
    .option('--admin-token-file <file>', 'the token of the admin views (or NETREADY_ADMIN_TOKEN; default: generated, printed at start)')
    .option('--store <spec>', 'keep uploaded and browser results: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB (share links /r/…, admin view /results)')
    .option('--upload-token-file <file>', 'with --store: the token uploads need (or NETREADY_UPLOAD_TOKEN; default: generated, printed at start)')
    .option('--share-days <n>', 'with --store: share links expire after N days (default 30)')
    .option('--webhook <url>', 'with --store: POST a JSON event here when a site\'s outcome changes; repeatable', collect)
    .option('--org-name <name>', "with --store: the organisation the signer's invite page names")
    .option('--org-logo <url>', "with --store: an https URL of the organisation's logo for the invite page")
    .addHelpText('after', SERVE_LIMITS_HELP)
    .action(async (o) => { process.exitCode = await (await import('./serve-command.js')).serveCommand(o); });

  addReportOptions(program.command('report').description('render a saved JSON report again').argument('<file>', 'a JSON report'))
    .option('--compare <old>', 'compare with an earlier JSON report: fixed, new and unchanged causes, outcome, tier, quality')
    .action(async (file, o) => {
      process.exitCode = o.compare
        ? await (await import('./compare-command.js')).compareCommand(file, o.compare, o)
        : await (await import('./report-command.js')).reportCommand(file, o);
    });

  program
    .command('profiles')
    .description("list the built-in profiles and their parameters; with an id, that profile's hosts, ports and checks")
    .argument('[id]', 'a built-in profile id or a YAML file')
    .option('--json', 'machine-readable output')
    .option('--sign-domain <host>', 'the OneSpan Sign domain (with an id)')
    .option('--param <name=value>', 'set a profile parameter (with an id); repeatable', collect)
    .action(async (id, o) => { process.exitCode = await (await import('./profiles-command.js')).profilesCommand({ ...o, id }); });

  program
    .command('allowlist')
    .description('the names, wildcards, IP ranges, ports and protocols a profile needs, with reasons and documents')
    .option('--profile <id|file>', 'built-in profile id or a YAML file; repeatable (default onespan-virtual-room)', collect)
    .option('--sign-domain <host>', 'the OneSpan Sign domain (allowlist row 1)')
    .option('--param <name=value>', 'set a profile parameter (see `netready profiles`); repeatable', collect)
    .option('--format <format>', 'csv | json | md | squid | nft | pac | ngfw', 'md')
    .option('--proxy <url>', "--format pac: the PAC's answer for the listed names (default DIRECT)")
    .option('--out <file>', 'write to FILE instead of stdout')
    .action(async (o) => { process.exitCode = await (await import('./allowlist-command.js')).allowlistCommand(o); });

  program
    .command('invite')
    .description('create a signer invite on a `netready serve --store`: prints the link (/i/…) to send')
    .option('--probe <url>', 'the serve (its https URL)')
    .option('--label <text>', 'who the invite is for (shown on the admin view)')
    .option('--site <name>', 'the site its results are filed under')
    .option('--expires <lifetime>', 'how long the link works: 7d (default), 48h, …')
    .option('--admin-token-file <file>', "the serve's admin token (or NETREADY_ADMIN_TOKEN)")
    .option('--ca <file>', "a CA to trust for the serve's certificate (PEM); repeatable", collect)
    .option('--public-roots <file>', 'the roots trusted instead of the bundled Mozilla roots')
    .option('--resolve <host:addr>', 'use ADDR for HOST instead of DNS; repeatable', collect)
    .action(async (o) => { process.exitCode = await (await import('./invite-command.js')).inviteCommand(o); });

  addReportOptions(program.command('demo').description('the embedded demo: serve on loopback and check the Virtual Room profile against it'))
    .option('--deadline <seconds>', 'hard cap for the check', '20')
    .option('--idle-window <seconds>', 'how long long-lived connections are held idle', '1')
    .option('--quality-seconds <seconds>', 'the length of the quality phase', '2')
    .action(async (o) => { process.exitCode = await (await import('./demo-command.js')).demoCommand(o); });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  process.exitCode = undefined;
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version are not errors; commander already printed its one line.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`netready: ${e.message}\n`);
      return 2;
    }
    const err = e as Error;
    process.stderr.write(`netready: internal error: ${err?.message ?? String(e)}\n`);
    if (process.env.NETREADY_DEBUG) process.stderr.write(`${err?.stack}\n`);
    return 3;
  }
}

/**
 * Run the command line and exit with its code (bin/netready.js, the standalone executable, tsx).
 * `serve` returns only after its sockets are closed. After a check the report is written (stdout
 * and files are synchronous here): exit now rather than wait for abandoned resolver threads of a
 * network that drops everything, or a WebRTC stack that never closed.
 */
export async function runAndExit(argv: string[]): Promise<never> {
  const code = await main(argv);
  // `npm run bench` reads the peak resident set size of this process.
  if (process.env.NETREADY_RUSAGE) process.stderr.write(`netready-rusage maxRssKiB=${process.resourceUsage().maxRSS}\n`);
  process.exit(code);
}

// Run directly with tsx: `node --import tsx src/cli/main.ts ...`
if (process.argv[1] && /[\\/]cli[\\/]main\.(ts|js)$/.test(process.argv[1])) void runAndExit(process.argv);
