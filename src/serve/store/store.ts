// The store's logic, written once over the Driver interface: the same SQL runs on SQLite and
// PostgreSQL, so the same tests prove both.

import { randomBytes } from 'node:crypto';
import type { Tier } from '../../report/types.js';
import { StoreError, StoreInviteError, StoreValidationError } from './errors.js';
import type { Driver, Query, Row } from './driver.js';
import { toMs } from './driver.js';
import { cleanName, DEFAULT_MAX_DOC_BYTES, digestOf, prepare, sha256, type Prepared } from './prepare.js';
import { redactor, type Redactor } from './redact.js';
import { LATEST_VERSION } from './schema.js';
import type {
  CsvRow,
  HistoryPoint,
  Invite,
  InviteLookup,
  ListFilter,
  ListPage,
  NewInvite,
  NewShare,
  Outcome,
  PutMeta,
  PutResult,
  QualityFigures,
  ReportRow,
  ShareLink,
  ShareLookup,
  SiteLatest,
  Source,
  Store,
  StoredDoc,
  StoredReport,
  StoreInfo,
  StoreOptions,
} from './types.js';
import { OUTCOMES, SOURCES } from './types.js';

export const DAY_MS = 24 * 3600_000;
export const DEFAULTS = {
  shareTtlMs: 30 * DAY_MS, // issue 15: "an expiry (default 30 days)"
  inviteTtlMs: 7 * DAY_MS, // issue 15: `netready invite --expires 7d`
  maxTtlMs: 366 * DAY_MS,
  listLimit: 100,
  maxListLimit: 1000,
  historyLimit: 1000,
  maxHistoryLimit: 10_000,
  exportPage: 1000,
} as const;

/** Share and invite tokens: 24 random bytes, base64url (192 bits; only their SHA-256 is stored). */
export const newToken = () => randomBytes(24).toString('base64url');
const TOKEN_RE = /^[A-Za-z0-9_-]{16,128}$/;

const ROW_COLS = 'r.id, r.site, r.label, r.outcome, r.tier, r.causes, r.time, r.received_at, r.source, r.invite_id, r.down_bps, r.up_bps, r.rtt_ms, r.jitter_ms, r.loss_ratio, r.mos, r.bytes';

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const iso = (v: unknown): string => new Date(Number(v)).toISOString();
const isoOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : iso(v));

function qualityOfRow(r: Row): QualityFigures {
  return { downBps: num(r.down_bps), upBps: num(r.up_bps), rttMs: num(r.rtt_ms), jitterMs: num(r.jitter_ms), lossRatio: num(r.loss_ratio), mos: num(r.mos) };
}

function toReportRow(r: Row): ReportRow {
  const causes = String(r.causes ?? '');
  return {
    id: Number(r.id),
    site: (r.site as string | null) ?? null,
    label: (r.label as string | null) ?? null,
    outcome: r.outcome as Outcome,
    tier: (r.tier as Tier | null) ?? null,
    causes: causes ? causes.split(' ') : [],
    time: iso(r.time),
    receivedAt: iso(r.received_at),
    source: r.source as Source,
    inviteId: num(r.invite_id),
    quality: qualityOfRow(r),
    bytes: Number(r.bytes),
  };
}

function toShare(r: Row): ShareLink {
  return { id: Number(r.id), reportId: Number(r.report_id), createdAt: iso(r.created_at), expiresAt: iso(r.expires_at), revokedAt: isoOrNull(r.revoked_at) };
}

function toInvite(r: Row): Invite {
  return {
    id: Number(r.id),
    label: String(r.label),
    site: (r.site as string | null) ?? null,
    createdAt: iso(r.created_at),
    expiresAt: iso(r.expires_at),
    revokedAt: isoOrNull(r.revoked_at),
    usedAt: isoOrNull(r.used_at),
    uses: Number(r.uses),
    lastReportId: num(r.last_report_id),
    lastOutcome: (r.last_outcome as Outcome | null) ?? null,
  };
}

const redactName = (red: Redactor, v: string | null) => (v === null ? null : red.text(v));

function ttl(what: string, v: number | undefined, dflt: number): number {
  const t = v ?? dflt;
  if (!Number.isFinite(t) || t <= 0 || t > DEFAULTS.maxTtlMs) throw new StoreValidationError('STORE_INVALID', `${what}: expected a lifetime between 1 ms and 366 days`);
  return t;
}

function limitOf(v: number | undefined, dflt: number, max: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 1) throw new StoreValidationError('STORE_INVALID', 'limit: expected a whole number >= 1');
  return Math.min(v, max);
}

function stateOf(row: Row, nowMs: number): 'ok' | 'expired' | 'revoked' {
  if (row.revoked_at !== null && row.revoked_at !== undefined) return 'revoked';
  return Number(row.expires_at) <= nowMs ? 'expired' : 'ok';
}

/** WHERE clause and parameters for a list filter (and an optional keyset cursor). */
function whereOf(f: ListFilter, after: string | null | undefined): { sql: string; params: unknown[] } {
  const w: string[] = [];
  const p: unknown[] = [];
  if (f.site !== undefined) (w.push('r.site = ?'), p.push(f.site));
  if (f.outcome !== undefined) {
    if (!OUTCOMES.includes(f.outcome)) throw new StoreValidationError('STORE_INVALID', `outcome: expected one of ${OUTCOMES.join(', ')}`);
    w.push('r.outcome = ?'), p.push(f.outcome);
  }
  if (f.source !== undefined) {
    if (!SOURCES.includes(f.source)) throw new StoreValidationError('STORE_INVALID', `source: expected one of ${SOURCES.join(', ')}`);
    w.push('r.source = ?'), p.push(f.source);
  }
  if (f.inviteId !== undefined) (w.push('r.invite_id = ?'), p.push(f.inviteId));
  if (f.cause !== undefined) (w.push('r.id IN (SELECT report_id FROM report_causes WHERE cause = ?)'), p.push(f.cause));
  const from = toMs('from', f.from);
  const to = toMs('to', f.to);
  if (from !== undefined) (w.push('r.time >= ?'), p.push(from));
  if (to !== undefined) (w.push('r.time < ?'), p.push(to));
  if (after) {
    const m = /^(-?\d+)\.(\d+)$/.exec(after);
    if (!m) throw new StoreValidationError('STORE_INVALID', 'after: not a cursor from a previous page');
    w.push('(r.time < ? OR (r.time = ? AND r.id < ?))');
    p.push(Number(m[1]), Number(m[1]), Number(m[2]));
  }
  return { sql: w.length ? `WHERE ${w.join(' AND ')}` : '', params: p };
}

export interface Inserted {
  id: number;
  duplicate: boolean;
  previousOutcome: Outcome | null;
  changed: boolean;
}

/**
 * One prepared (validated, redacted) report into the tables, inside the caller's transaction: the
 * report row (or the existing one, for the same digest), its document, its cause rows, the site's latest and
 * count, the invite's use. Lock order in every write: invite row (put), then the report's digest,
 * then the site row. The bench's bulk fill uses it too (the same SQL as an upload).
 */
export async function insertPrepared(q: Query, p: Prepared, o: { site: string | null; label: string | null; inviteId: number | null; nowMs: number }): Promise<Inserted> {
  const { site, label, inviteId, nowMs } = o;
  const forUpdate = q.dialect === 'postgres' ? ' FOR UPDATE' : '';
  const digest = digestOf(p, site, inviteId);
  const q1 = p.quality;
  const ins = await q.get<Row>(
    `INSERT INTO reports (digest, site, label, source, outcome, tier, causes, time, received_at, invite_id, down_bps, up_bps, rtt_ms, jitter_ms, loss_ratio, mos, bytes)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING RETURNING id`,
    [digest, site, label, p.source, p.outcome, p.tier, p.causes.join(' '), p.timeMs, nowMs, inviteId, q1.downBps, q1.upBps, q1.rttMs, q1.jitterMs, q1.lossRatio, q1.mos, p.bytes],
  );
  if (!ins) {
    // The same upload again (a retry whose answer was lost): one report.
    const ex = await q.get<Row>('SELECT id FROM reports WHERE digest = ?', [digest]);
    return { id: Number(ex!.id), duplicate: true, previousOutcome: null, changed: false };
  }
  const id = Number(ins.id);
  await q.run('INSERT INTO report_docs (report_id, doc) VALUES (?, ?)', [id, p.docText]);
  for (const c of p.causes) await q.run('INSERT INTO report_causes (report_id, cause) VALUES (?, ?)', [id, c]);

  let previousOutcome: Outcome | null = null;
  let changed = false;
  if (site !== null) {
    const sel = () => q.get<Row>(`SELECT latest_report_id, latest_time, latest_outcome FROM sites WHERE site = ?${forUpdate}`, [site]);
    let cur = await sel();
    if (!cur) {
      const n = await q.run('INSERT INTO sites (site, latest_report_id, latest_time, latest_outcome, reports) VALUES (?, ?, ?, ?, 1) ON CONFLICT (site) DO NOTHING', [site, id, p.timeMs, p.outcome]);
      if (n !== 1) cur = await sel(); // another writer created it first: now it is committed and locked
    }
    if (cur) {
      previousOutcome = cur.latest_outcome as Outcome;
      const lt = Number(cur.latest_time);
      const newer = p.timeMs > lt || (p.timeMs === lt && id > Number(cur.latest_report_id));
      if (newer) {
        await q.run('UPDATE sites SET latest_report_id = ?, latest_time = ?, latest_outcome = ?, reports = reports + 1 WHERE site = ?', [id, p.timeMs, p.outcome, site]);
        changed = previousOutcome !== p.outcome;
      } else await q.run('UPDATE sites SET reports = reports + 1 WHERE site = ?', [site]);
    }
  }
  if (inviteId !== null) {
    await q.run(
      `UPDATE invites SET uses = uses + 1, used_at = COALESCE(used_at, ?),
         last_report_id = CASE WHEN last_report_id IS NULL OR ? >= (SELECT time FROM reports WHERE id = invites.last_report_id) THEN ? ELSE last_report_id END
       WHERE id = ?`,
      [nowMs, p.timeMs, id, inviteId],
    );
  }
  return { id, duplicate: false, previousOutcome, changed };
}

export function createStore(driver: Driver, opts: StoreOptions = {}): Store {
  const now = opts.now ?? Date.now;
  const maxBytes = opts.maxDocBytes ?? DEFAULT_MAX_DOC_BYTES;
  const secrets = [...(opts.secrets ?? [])];
  const forUpdate = driver.dialect === 'postgres' ? ' FOR UPDATE' : '';
  let closed = false;
  const open = () => {
    if (closed) throw new StoreError('STORE_CLOSED', 'the store is closed');
  };

  async function insertShare(q: Query, reportId: number, ttlMs: number, nowMs: number): Promise<NewShare> {
    const token = newToken();
    const row = await q.get<Row>('INSERT INTO shares (token_hash, report_id, created_at, expires_at) VALUES (?, ?, ?, ?) RETURNING id', [sha256(token), reportId, nowMs, nowMs + ttlMs]);
    return { id: Number(row!.id), reportId, createdAt: iso(nowMs), expiresAt: iso(nowMs + ttlMs), revokedAt: null, token };
  }

  const store: Store = {
    backend: driver.dialect,

    async put(input, meta: PutMeta = {}) {
      open();
      const nowMs = now();
      const inviteToken = meta.inviteToken ?? null;
      if (inviteToken !== null && (typeof inviteToken !== 'string' || !TOKEN_RE.test(inviteToken))) throw new StoreInviteError('unknown');
      const red = redactor(inviteToken ? [...secrets, inviteToken] : secrets);
      const p = prepare(input, { maxBytes, nowMs, redactor: red });
      const siteIn = redactName(red, cleanName('site', meta.site));
      const labelIn = redactName(red, cleanName('label', meta.label));
      const shareTtl = meta.share === false ? null : ttl('share ttl', meta.share?.ttlMs, opts.shareTtlMs ?? DEFAULTS.shareTtlMs);

      return driver.write(async (q): Promise<PutResult> => {
        let invite: Row | undefined;
        if (inviteToken) {
          invite = await q.get<Row>(`SELECT id, label, site, expires_at, revoked_at FROM invites WHERE token_hash = ?${forUpdate}`, [sha256(inviteToken)]);
          if (!invite) throw new StoreInviteError('unknown');
          const st = stateOf(invite, nowMs);
          if (st !== 'ok') throw new StoreInviteError(st);
        }
        const inviteId = invite ? Number(invite.id) : null;
        const site = siteIn ?? ((invite?.site as string | null) ?? null);
        const label = labelIn ?? ((invite?.label as string | null) ?? null);
        const w = await insertPrepared(q, p, { site, label, inviteId, nowMs });
        const share = shareTtl === null ? null : await insertShare(q, w.id, shareTtl, nowMs);
        return { ...w, site, outcome: p.outcome, source: p.source, inviteId, redactions: p.redactions, share };
      });
    },

    async get(id) {
      open();
      if (!Number.isSafeInteger(id)) return null;
      const r = await driver.read((q) => q.get<Row>(`SELECT ${ROW_COLS}, d.doc FROM reports r JOIN report_docs d ON d.report_id = r.id WHERE r.id = ?`, [id]));
      return r ? { ...toReportRow(r), doc: JSON.parse(String(r.doc)) as StoredDoc } : null;
    },

    async list(filter = {}, page = {}) {
      open();
      const limit = limitOf(page.limit, DEFAULTS.listLimit, DEFAULTS.maxListLimit);
      const w = whereOf(filter, page.after);
      const rows = await driver.read((q) => q.all<Row>(`SELECT ${ROW_COLS} FROM reports r ${w.sql} ORDER BY r.time DESC, r.id DESC LIMIT ?`, [...w.params, limit + 1]));
      const more = rows.length > limit;
      const out = rows.slice(0, limit).map(toReportRow);
      const last = out[out.length - 1];
      return { rows: out, next: more && last ? `${Date.parse(last.time)}.${last.id}` : null } satisfies ListPage;
    },

    async latestBySite() {
      open();
      const rows = await driver.read((q) =>
        q.all<Row>(`SELECT s.site AS s_site, s.reports AS s_reports, ${ROW_COLS} FROM sites s JOIN reports r ON r.id = s.latest_report_id ORDER BY s.site`),
      );
      return rows.map((r): SiteLatest => ({ site: String(r.s_site), reports: Number(r.s_reports), latest: toReportRow(r) }));
    },

    async history(site, o = {}) {
      open();
      const limit = limitOf(o.limit, DEFAULTS.historyLimit, DEFAULTS.maxHistoryLimit);
      const w = whereOf({ site, from: o.from, to: o.to }, null);
      const rows = await driver.read((q) =>
        q.all<Row>(`SELECT r.id, r.time, r.outcome, r.tier, r.source, r.down_bps, r.up_bps, r.rtt_ms, r.jitter_ms, r.loss_ratio, r.mos FROM reports r ${w.sql} ORDER BY r.time DESC, r.id DESC LIMIT ?`, [...w.params, limit]),
      );
      return rows.reverse().map((r): HistoryPoint => ({ reportId: Number(r.id), time: iso(r.time), outcome: r.outcome as Outcome, tier: (r.tier as Tier | null) ?? null, source: r.source as Source, quality: qualityOfRow(r) }));
    },

    async *exportRows(filter = {}) {
      let after: string | null = null;
      do {
        const page: ListPage = await store.list(filter, { limit: DEFAULTS.exportPage, after });
        for (const r of page.rows) yield csvRowOf(r);
        after = page.next;
      } while (after);
    },

    async createShare(reportId, o = {}) {
      open();
      const t = ttl('share ttl', o.ttlMs, opts.shareTtlMs ?? DEFAULTS.shareTtlMs);
      const nowMs = now();
      return driver.write(async (q) => {
        const r = await q.get<Row>('SELECT id FROM reports WHERE id = ?', [reportId]);
        if (!r) throw new StoreValidationError('STORE_INVALID', `no report ${reportId}`);
        return insertShare(q, reportId, t, nowMs);
      });
    },

    async getByShare(token) {
      open();
      if (typeof token !== 'string' || !TOKEN_RE.test(token)) return { state: 'unknown' };
      const row = await driver.read((q) => q.get<Row>('SELECT id, report_id, created_at, expires_at, revoked_at FROM shares WHERE token_hash = ?', [sha256(token)]));
      if (!row) return { state: 'unknown' };
      const share = toShare(row);
      const st = stateOf(row, now());
      if (st !== 'ok') return { state: st, share } satisfies ShareLookup;
      const report = await store.get(share.reportId);
      return report ? { state: 'ok', share, report } : { state: 'unknown' };
    },

    async listShares(reportId) {
      open();
      const rows = await driver.read((q) => q.all<Row>('SELECT id, report_id, created_at, expires_at, revoked_at FROM shares WHERE report_id = ? ORDER BY id', [reportId]));
      return rows.map(toShare);
    },

    async revokeShare(shareId) {
      open();
      const nowMs = now();
      return (await driver.write((q) => q.run('UPDATE shares SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [nowMs, shareId]))) === 1;
    },

    async createInvite(o) {
      open();
      const red = redactor(secrets);
      const label = redactName(red, cleanName('label', o.label));
      if (!label) throw new StoreValidationError('STORE_INVALID', 'label: an invite needs a label (who it is for)');
      const site = redactName(red, cleanName('site', o.site));
      const t = ttl('invite ttl', o.ttlMs, opts.inviteTtlMs ?? DEFAULTS.inviteTtlMs);
      const nowMs = now();
      return driver.write(async (q): Promise<NewInvite> => {
        const token = newToken();
        const row = await q.get<Row>('INSERT INTO invites (token_hash, label, site, created_at, expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id', [sha256(token), label, site, nowMs, nowMs + t]);
        return { id: Number(row!.id), label, site, createdAt: iso(nowMs), expiresAt: iso(nowMs + t), revokedAt: null, usedAt: null, uses: 0, lastReportId: null, lastOutcome: null, token };
      });
    },

    async lookupInvite(token) {
      open();
      if (typeof token !== 'string' || !TOKEN_RE.test(token)) return { state: 'unknown' };
      const row = await driver.read((q) =>
        q.get<Row>('SELECT i.*, r.outcome AS last_outcome FROM invites i LEFT JOIN reports r ON r.id = i.last_report_id WHERE i.token_hash = ?', [sha256(token)]),
      );
      if (!row) return { state: 'unknown' };
      return { state: stateOf(row, now()), invite: toInvite(row) } satisfies InviteLookup;
    },

    async listInvites() {
      open();
      const rows = await driver.read((q) => q.all<Row>('SELECT i.*, r.outcome AS last_outcome FROM invites i LEFT JOIN reports r ON r.id = i.last_report_id ORDER BY i.created_at DESC, i.id DESC'));
      return rows.map(toInvite);
    },

    async revokeInvite(inviteId) {
      open();
      const nowMs = now();
      return (await driver.write((q) => q.run('UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [nowMs, inviteId]))) === 1;
    },

    async info(): Promise<StoreInfo> {
      open();
      const r = await driver.read((q) =>
        q.get<Row>('SELECT (SELECT COUNT(*) FROM reports) AS reports, (SELECT COUNT(*) FROM sites) AS sites, (SELECT COUNT(*) FROM invites) AS invites, (SELECT MAX(version) FROM schema_migrations) AS v'),
      );
      return { backend: driver.dialect, location: driver.location, schemaVersion: Number(r?.v ?? LATEST_VERSION), reports: Number(r?.reports), sites: Number(r?.sites), invites: Number(r?.invites) };
    },

    async ping() {
      open();
      await driver.read((q) => q.get('SELECT 1 AS one'));
    },

    async close() {
      if (closed) return;
      closed = true;
      await driver.close();
    },
  };
  return store;
}

const numText = (n: number | null) => (n === null ? '' : String(n));

export function csvRowOf(r: ReportRow): CsvRow {
  return {
    id: r.id,
    time: r.time,
    receivedAt: r.receivedAt,
    site: r.site ?? '',
    label: r.label ?? '',
    source: r.source,
    outcome: r.outcome,
    tier: r.tier ?? '',
    causes: r.causes.join(' '),
    inviteId: r.inviteId === null ? '' : String(r.inviteId),
    downBps: numText(r.quality.downBps),
    upBps: numText(r.quality.upBps),
    rttMs: numText(r.quality.rttMs),
    jitterMs: numText(r.quality.jitterMs),
    lossRatio: numText(r.quality.lossRatio),
    mos: numText(r.quality.mos),
  };
}
