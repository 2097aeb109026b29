// The standalone executable's entry point, bundled by `npm run build:exe` (scripts/build-exe.mjs):
// what bin/netready.js does, without top-level await (Node 24 runs a single executable's script as
// CommonJS).
import { runAndExit } from './main.js';

void runAndExit(process.argv);
