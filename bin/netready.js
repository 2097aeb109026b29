#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

const code = await main(process.argv);
// `npm run bench` reads the peak resident set size of this process.
if (process.env.NETREADY_RUSAGE) process.stderr.write(`netready-rusage maxRssKiB=${process.resourceUsage().maxRSS}\n`);
// `serve` returns only after its sockets are closed. After a check the report is written
// (stdout and files are synchronous here); exit now rather than wait for abandoned resolver
// threads of a network that drops everything.
process.exit(code);
