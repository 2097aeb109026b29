// The four requirement documents ("seeds", ../shared/requirements/README.md) by file name, with the
// title users see. User-facing text names a document by its title, never by its seed number.

export interface RequirementDocument {
  file: string;
  title: string;
}

export const DOCUMENTS: readonly RequirementDocument[] = [
  // 000_637c892c7d775e13.txt, its heading: "Virtual Room and RON Network Prerequisites".
  { file: '000_637c892c7d775e13.txt', title: 'Virtual Room and RON Network Prerequisites' },
  // 001_853fb095b65f741b.txt, its heading: "Firewall requirements" (TokBox).
  { file: '001_853fb095b65f741b.txt', title: 'TokBox firewall requirements' },
  // 002_366555b85f8bab97.txt, its heading: "OpenTok Network Connectivity Requirements", dated August 23, 2013.
  { file: '002_366555b85f8bab97.txt', title: 'OpenTok Network Connectivity Requirements (2013)' },
  // 003_606ee1d65ee49d3b.txt, its heading: "Communicating via WebSocket" (Personal Certificate Client).
  { file: '003_606ee1d65ee49d3b.txt', title: 'Personal Certificate Client: Communicating via WebSocket' },
];

export const SEED_000 = DOCUMENTS[0]!.file;
export const SEED_001 = DOCUMENTS[1]!.file;
export const SEED_002 = DOCUMENTS[2]!.file;
export const SEED_003 = DOCUMENTS[3]!.file;

/**
 * The title of the document a profile (or a host's citation) comes from. `source` is a seed file
 * name, possibly followed by a citation ("000_637c892c7d775e13.txt: allowlist row 1"); a profile
 * from a user's own file with an unknown source keeps that source as its title.
 */
export function documentTitle(source: string): string {
  const file = source.split(':', 1)[0]!.trim();
  return DOCUMENTS.find((d) => d.file === file)?.title ?? file;
}

// ---- what the documents name as destinations (shared by the allowlist and the verdict's remedies) ----

// seed 000_637c892c7d775e13.txt row 3: "*.opentok.com and *.tokbox.com (wildcards required — Vonage
// does not publish a fixed FQDN list)"; row 5: "*.upscope.io"; seed 001_853fb095b65f741b.txt:
// "Whitelist the following domains: *.tokbox.com *.opentok.com". A narrower wildcard of a profile
// (e.g. *.media.prod.tokbox.com, the signalling hosts) is listed as the document's wildcard.
export const DOCUMENT_WILDCARDS = ['*.opentok.com', '*.tokbox.com', '*.upscope.io'];

// seed 000_637c892c7d775e13.txt section 2: "Do not apply TLS inspection (MITM decryption) to
// *.opentok.com, *.tokbox.com, or *.upscope.io. It breaks WebSocket upgrades and TURN-over-TLS.";
// checklist item 3: "*.upscope.io ... and cobrowsingapi.com are reachable and excluded from TLS inspection".
export const NO_INSPECTION = ['*.opentok.com', '*.tokbox.com', '*.upscope.io', 'cobrowsingapi.com'];

/** The part a wildcard matches below: "*.opentok.com" -> ".opentok.com". */
export const wildcardZone = (w: string) => w.replace(/^\*/, '');

/** Does wildcard `w` cover `dest` (a name, or a narrower wildcard)? */
export function covers(w: string, dest: string): boolean {
  if (!w.startsWith('*.')) return w === dest;
  const zone = wildcardZone(w);
  const d = dest.startsWith('*.') ? wildcardZone(dest) : `.${dest}`;
  return d !== zone && d.endsWith(zone);
}

/** A destination as the documents name it: a narrower wildcard or a name under a document wildcard becomes that wildcard. */
export function documentWildcard(dest: string): string | null {
  return DOCUMENT_WILDCARDS.find((w) => covers(w, dest)) ?? null;
}
