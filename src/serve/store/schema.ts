// One schema for both backends, as numbered migrations applied at start (the same numbers in SQLite
// and PostgreSQL). Each migration is written once; a few type words differ between the dialects:
//   {ID}   a 64-bit auto-increment primary key    {INT}  a 64-bit integer    {REAL} a double
// Times are whole milliseconds since the epoch in both (no time-zone or precision differences).
// PostgreSQL keeps the tables in their own schema `netready` (search_path), so the names cannot
// collide with an organisation's tables in a shared database.
//
// A migration is never edited once released: a change is a new migration with the next number.

export interface Migration {
  version: number;
  name: string;
  /** Statements, in order, with the dialect words above. */
  sql: string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'reports, their documents and causes, sites, invites, share links',
    sql: [
      `CREATE TABLE invites (
        id {ID},
        token_hash TEXT NOT NULL UNIQUE,
        label TEXT NOT NULL,
        site TEXT,
        created_at {INT} NOT NULL,
        expires_at {INT} NOT NULL,
        revoked_at {INT},
        used_at {INT},
        uses {INT} NOT NULL DEFAULT 0,
        last_report_id {INT}
      )`,
      `CREATE TABLE reports (
        id {ID},
        digest TEXT NOT NULL UNIQUE,
        site TEXT,
        label TEXT,
        source TEXT NOT NULL CHECK (source IN ('cli', 'browser')),
        outcome TEXT NOT NULL CHECK (outcome IN ('ready', 'not-ready', 'incomplete')),
        tier TEXT,
        causes TEXT NOT NULL,
        time {INT} NOT NULL,
        received_at {INT} NOT NULL,
        invite_id {INT} REFERENCES invites (id),
        down_bps {REAL},
        up_bps {REAL},
        rtt_ms {REAL},
        jitter_ms {REAL},
        loss_ratio {REAL},
        mos {REAL},
        bytes {INT} NOT NULL
      )`,
      // The documents apart from the indexed columns: the reports table stays narrow (~200 bytes a
      // row), so listings and the per-site view read a compact B-tree, not 25 KB rows (SQLite keeps
      // a row's text in its own pages; PostgreSQL would move it out of line anyway).
      `CREATE TABLE report_docs (
        report_id {INT} PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
        doc TEXT NOT NULL
      )`,
      'CREATE INDEX reports_site_time ON reports (site, time, id)',
      'CREATE INDEX reports_time ON reports (time, id)',
      'CREATE INDEX reports_outcome_time ON reports (outcome, time, id)',
      'CREATE INDEX reports_source_time ON reports (source, time, id)',
      'CREATE INDEX reports_invite_time ON reports (invite_id, time, id)',
      `CREATE TABLE report_causes (
        report_id {INT} NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
        cause TEXT NOT NULL,
        PRIMARY KEY (report_id, cause)
      )`,
      'CREATE INDEX report_causes_cause ON report_causes (cause, report_id)',
      // The latest report per site (by report time, then id), kept in the same transaction as the
      // insert: "latest outcome per site" reads one row per site, whatever the number of reports.
      `CREATE TABLE sites (
        site TEXT PRIMARY KEY,
        latest_report_id {INT} NOT NULL REFERENCES reports (id),
        latest_time {INT} NOT NULL,
        latest_outcome TEXT NOT NULL,
        reports {INT} NOT NULL
      )`,
      `CREATE TABLE shares (
        id {ID},
        token_hash TEXT NOT NULL UNIQUE,
        report_id {INT} NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
        created_at {INT} NOT NULL,
        expires_at {INT} NOT NULL,
        revoked_at {INT}
      )`,
      'CREATE INDEX shares_report ON shares (report_id)',
    ],
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export type Dialect = 'sqlite' | 'postgres';

const WORDS: Record<Dialect, Record<string, string>> = {
  sqlite: { ID: 'INTEGER PRIMARY KEY AUTOINCREMENT', INT: 'INTEGER', REAL: 'REAL' },
  postgres: { ID: 'BIGSERIAL PRIMARY KEY', INT: 'BIGINT', REAL: 'DOUBLE PRECISION' },
};

export function migrationSql(m: Migration, dialect: Dialect): string[] {
  return m.sql.map((s) => s.replace(/\{(ID|INT|REAL)\}/g, (_x, w: string) => WORDS[dialect][w]));
}

export const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at {INT} NOT NULL
)`;

export function migrationsTableSql(dialect: Dialect): string {
  return MIGRATIONS_TABLE.replace('{INT}', WORDS[dialect].INT);
}

/** Our tables: a SQLite file or PostgreSQL schema holding other tables but not these is not a netready store. */
export const STORE_TABLES = ['schema_migrations', 'invites', 'reports', 'report_docs', 'report_causes', 'sites', 'shares'] as const;
