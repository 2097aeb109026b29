// placeholder, replaced below
import type { ServeModule } from '../server.js';
import type { Store } from '../store/index.js';
import type { ResultsModule } from './module.js';
export function signerModule(_o: { store: Store; results: ResultsModule; org: { name?: string; logoUrl?: string } }): ServeModule {
  return { name: 'signer' };
}
