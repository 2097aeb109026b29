// Runs vpn.route (with dns.resolve and proxy.config's neighbours as planned) inside whatever network
// namespace it is started in (`ip netns exec NS node --import tsx this.ts CONFIG_JSON HOSTS_JSON`),
// printing the results as JSON. A Node process cannot switch namespaces itself.
import { dnsResolve } from '../../src/checks/dns-resolve.js';
import { vpnRoute } from '../../src/checks/vpn-route.js';
import { config, host, profileSet, runChecks } from './helpers.js';

const cfg = config(JSON.parse(process.argv[2] ?? '{}'));
const hosts = (JSON.parse(process.argv[3] ?? '[]') as { host: string; role: 'video' | 'media' | 'sign' }[]).map((h) => host(h));
const ps = { ...profileSet(hosts), media: true };
const { results } = await runChecks([dnsResolve, vpnRoute], ps, cfg);
process.stdout.write(JSON.stringify(results));
