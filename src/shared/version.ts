// netready's version, from package.json (src/assets.ts is a leaf: it imports nothing of ours).
import { readAsset } from '../assets.js';

export const VERSION: string = (JSON.parse(readAsset('package.json') ?? '{}') as { version?: string }).version ?? 'unknown';
