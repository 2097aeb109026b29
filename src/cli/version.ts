import { readAsset } from '../assets.js';

export const VERSION: string = (JSON.parse(readAsset('package.json') ?? '{}') as { version?: string }).version ?? 'unknown';
