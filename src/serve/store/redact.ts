// The redaction pass a document goes through before the store keeps it: nothing that could be a
// secret is ever stored (issue 15: "anything that could be a secret (proxy credentials, TURN
// credentials, tokens) is never stored").
//
// Where such values can appear in a report (netready/report@1) or a browser result (browser@1):
// - `params`: --param values are free text (a URL with a token, a password someone passed);
// - `checks[].details.proxy.display`, `details.env.HTTPS_PROXY/HTTP_PROXY/ALL_PROXY`, `details.pac`:
//   proxy URLs; net/proxy.ts masks the password of the first URL only and keeps the user name,
//   which can itself be the token (`https://TOKEN@proxy`);
// - `checks[].target`, `causes[].targets`: URLs as given (--probe, --pac with `?token=`);
// - `checks[].error.message`, `reason`, `notes`, cause summaries: raw error text, which can quote
//   a URL, an `Authorization`/`Proxy-Authorization` header or a `Basic`/`Bearer` credential;
// - TURN credentials (`username` + `credential` from /.netready/turn), echo `token`s: by key name;
// - browser@1 `details`, `origin`: page URLs, which under an invite carry its token in the path;
// - the serve's own upload/admin tokens and TURN secret, wherever they turn up: by literal value
//   (StoreOptions.secrets, plus the invite token of the upload itself).
// Every string (and every object key) is passed through the text rules; values under secret-named
// keys are replaced whole. Types are kept (a string stays a string), so the schema still holds.

export const REDACTED = '[redacted]';

/** Known secret values shorter than this are not scrubbed as literals (they would hit ordinary text). */
const MIN_LITERAL = 8;

// The last word(s) of a key that marks its value as a secret: camelCase, snake_case and kebab-case
// split into words ("uploadToken" → upload token, "turn_secret", "Proxy-Authorization").
const SECRET_WORDS = new Set(['pass', 'password', 'passwd', 'passphrase', 'pwd', 'secret', 'token', 'credential', 'credentials', 'authorization', 'cookie', 'apikey', 'signature', 'sig', 'jwt', 'bearer', 'otp']);
const SECRET_PAIRS = new Set(['api key', 'private key', 'access key', 'secret key', 'session id', 'client secret', 'auth key', 'set cookie']);
/** Siblings of a secret that name its owner (TURN username beside its credential). */
const PAIRED_NAMES = new Set(['user', 'username', 'login']);

function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

type KeyKind = 'secret' | 'name' | 'plain';
// Reports repeat the same few hundred keys: classify each once (bounded).
const keyKinds = new Map<string, KeyKind>();

function keyKind(key: string): KeyKind {
  let k = keyKinds.get(key);
  if (k) return k;
  const w = keyWords(key);
  const last = w[w.length - 1] ?? '';
  k = SECRET_WORDS.has(last) || (w.length >= 2 && SECRET_PAIRS.has(`${w[w.length - 2]} ${last}`)) ? 'secret' : PAIRED_NAMES.has(last) ? 'name' : 'plain';
  if (keyKinds.size > 10_000) keyKinds.clear();
  keyKinds.set(key, k);
  return k;
}

export const isSecretKey = (key: string): boolean => keyKind(key) === 'secret';

const QUERY_SECRET = /([?&;](?:access_token|id_token|refresh_token|token|auth|key|api_key|apikey|secret|client_secret|password|passwd|pwd|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|credential|sessionid|session_id|code)=)[^&#\s"'<>]*/gi;
// scheme://userinfo@host: the whole userinfo goes (the user name can be the token).
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi;
// user:pass@host without a scheme (curl accepts HTTPS_PROXY=user:pass@proxy:3128).
const BARE_USERINFO = /(^|[\s"'=(,;])[^\s:/@"'<>=]+:[^\s@/"'<>]+@(?=[A-Za-z0-9[])/g;
// token=…, password: … in free text (notes, labels, error messages).
const KEY_VALUE = /\b(token|password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|client[_-]?secret)(\s*[=:]\s*)(?!\*\*\*|\[redacted\])[^\s&#"'<>,;]{4,}/gi;
const HEADER = /\b((?:proxy-)?authorization|cookie|set-cookie|x-api-key|x-auth-token|x-upload-token|x-admin-token)(\s*[:=]\s*)[^\r\n"]+/gi;
// An auth scheme followed by something token-like (a digit, base64 punctuation or mixed case in
// it), so that prose such as "Basic authentication" or "Bearer Authentication" stays readable.
const AUTH_SCHEME = /\b(Bearer|Basic|Digest|Negotiate|NTLM|Token)(\s+)([A-Za-z0-9._~+/=-]{8,})/g;
const tokenLike = (t: string) => /[0-9+/=._~-]/.test(t) || (/[A-Z]/.test(t) && /[a-z]/.test(t) && !/^[A-Z][a-z]+$/.test(t));
const PEM_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

// Every rule above needs one of these in the text; most strings of a report (ids, host names,
// statuses) have none and skip the rules (a report has ~650 strings).
const TRIGGER = /[@=]|eyJ|PRIVATE KEY|authorization|cookie|token|passw|pwd|secret|api[_-]?key|bearer|basic|digest|negotiate|ntlm/i;

export interface Redactor {
  /** A string with every secret-looking part replaced. */
  text(s: string): string;
  /** A deep copy of a JSON value with secrets replaced, and how many strings changed. */
  value<T>(v: T): { value: T; count: number };
}

export function redactor(secrets: readonly (string | null | undefined)[] = []): Redactor {
  const literals = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_LITERAL))]
    // longest first, so a secret that contains another is replaced whole
    .sort((a, b) => b.length - a.length);
  const literalRe = literals.length ? new RegExp(literals.map(escapeRe).join('|'), 'g') : null;

  const text = (s: string): string => {
    let out = s;
    if (literalRe) out = out.replace(literalRe, REDACTED);
    if (!TRIGGER.test(out)) return out;
    out = out
      .replace(PEM_KEY, REDACTED)
      .replace(JWT, REDACTED)
      .replace(URL_USERINFO, '$1***@')
      .replace(BARE_USERINFO, '$1***@')
      .replace(QUERY_SECRET, '$1***')
      .replace(KEY_VALUE, '$1$2***')
      .replace(HEADER, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`)
      .replace(AUTH_SCHEME, (m, scheme: string, sp: string, tok: string) => (tokenLike(tok) ? `${scheme}${sp}***` : m));
    return out;
  };

  const value = <T>(v: T): { value: T; count: number } => {
    let count = 0;
    const str = (s: string) => {
      const r = text(s);
      if (r !== s) count++;
      return r;
    };
    const walk = (x: unknown, secret: boolean): unknown => {
      if (typeof x === 'string') {
        if (secret && x !== '') {
          count++;
          return REDACTED;
        }
        return str(x);
      }
      if (Array.isArray(x)) return x.map((e) => walk(e, secret));
      if (x && typeof x === 'object') {
        const o = x as Record<string, unknown>;
        const keys = Object.keys(o);
        const kinds = keys.map(keyKind);
        const hasSecretSibling = keys.some((k, i) => kinds[i] === 'secret' && typeof o[k] === 'string' && o[k] !== '');
        const out: Record<string, unknown> = {};
        keys.forEach((k, i) => {
          const secretHere = secret || kinds[i] === 'secret' || (hasSecretSibling && kinds[i] === 'name');
          out[str(k)] = walk(o[k], secretHere);
        });
        return out;
      }
      return x;
    };
    return { value: walk(v, false) as T, count };
  };

  return { text, value };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
