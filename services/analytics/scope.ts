import { randomBytes } from 'node:crypto';
import { InternalError } from '../../contract/internal-error.ts';
import { type ClickHouse, chSql, ident, literal, Raw, type SqlText } from '../platform/clickhouse.ts';

/**
 * The one way analytics reads ClickHouse. A `Scope` is bound to one client; its `from(table)` is the
 * only way to name a table, and renders `<table> FINAL WHERE client_id = '<escaped>'` behind a marker
 * holding a per-process secret. `query()` refuses any SQL in which a table is named without that marker
 * (raw SQL, a string pasted together, a marker of another scope), so no query can leave the caller's
 * client. Queries take a Scope, never the ClickHouse handle.
 */

/** Tables analytics reads; naming any of them outside `from()` is refused. */
export const ANALYTICS_TABLES = [
  'analytics_events',
  'reward_facts',
  'events',
  // The daily rollups (0901, rollup.ts): the rollup rows, the days rolled up, the days' last writes.
  'analytics_daily',
  'analytics_rollup_days',
  'analytics_touched_days',
  // The id hashes the rollup job checked, and the collisions it found (0911, rollup.ts, ids.ts).
  'analytics_person_keys',
  'analytics_hash_collisions',
  // How far the background id check has got (0921, ids.ts).
  'analytics_checked_blocks',
] as const;
export type AnalyticsTable = (typeof ANALYTICS_TABLES)[number];
/** Tables the rollup and id check jobs write, with rows of one client at a time (`Scope.insertSelect`). */
export type RollupTable = 'analytics_daily' | 'analytics_person_keys' | 'analytics_hash_collisions';
const ROLLUP_TABLES: readonly string[] = [
  'analytics_daily',
  'analytics_person_keys',
  'analytics_hash_collisions',
];

const NONCE = randomBytes(9).toString('hex');
/** analytics_events' sorting key below the client (clickhouse/0911): what FINAL deduplicates on. */
const EVENT_KEY: readonly string[] = ['campaign_id', 'kind', 'day', 'event_id'];
const TABLE_WORD = new RegExp(`\\b(${ANALYTICS_TABLES.join('|')})\\b`, 'g');

export interface Scope {
  readonly clientId: string;
  /** `FROM`-clause text: the table (deduplicated with FINAL) restricted to the client, plus conditions. */
  from(table: AnalyticsTable, ...conditions: Raw[]): Raw;
  /**
   * The same without FINAL, for queries whose every aggregate a second copy of a row cannot change
   * (uniqExact of ids, min, max, any, argMax; GROUP BY an id before counting): about half the cost.
   * Sums and plain counts must use `from`. The re-send test (metrics.test.ts) holds every report to it.
   */
  fromAnyCopy(table: AnalyticsTable, ...conditions: Raw[]): Raw;
  /**
   * `FROM`-able rows of analytics_events, one per row FINAL would keep: grouped by the table's sorting
   * key, each of `columns` taken from the newest copy (the table's version, `received_at`), as FINAL
   * does. For sums over a small slice (one campaign's conversions): one hash table over the slice instead
   * of FINAL's merge of the parts' key ranges, about half the cost (README, "Speed").
   */
  latestEvents(columns: readonly string[], ...conditions: Raw[]): Raw;
  query<T>(sql: SqlText): Promise<T[]>;
  /**
   * `INSERT INTO <table> <select>`, the SELECT checked like a query: the rows written come only from
   * this client's scoped reads (the rollup job's recompute).
   */
  insertSelect(table: RollupTable, select: SqlText): Promise<void>;
}

function marker(clientId: string): string {
  // Client ids are ids (params.ts), but the marker must never be closable by one: hex-encode it.
  return `/*scope:${NONCE}:${Buffer.from(clientId).toString('hex')}*/`;
}

/** Throws unless every table name in `sql` comes right after this client's marker. */
export function assertScoped(sql: string, clientId: string): void {
  const mark = marker(clientId);
  // String literals are data, not names: blank them (escaped quotes included) before looking.
  const text = sql.replace(/'(?:[^'\\]|\\.)*'/g, "''");
  let named = 0;
  for (const m of text.matchAll(TABLE_WORD)) {
    named++;
    const before = text.slice(0, m.index).trimEnd();
    if (!before.endsWith(mark))
      throw new InternalError('UNSAFE_SQL', `analytics query names ${m[1]} outside the client scope`);
  }
  if (named === 0) throw new InternalError('UNSAFE_SQL', 'analytics query reads no scoped table');
}

export function createScope(ch: ClickHouse, clientId: string): Scope {
  if (!clientId) throw new InternalError('UNSAFE_SQL', 'analytics scope without a client');
  const mark = marker(clientId);
  const source = (table: AnalyticsTable, final: boolean, conditions: Raw[]): Raw => {
    if (!(ANALYTICS_TABLES as readonly string[]).includes(table))
      throw new InternalError('UNSAFE_SQL', `not an analytics table: ${table}`);
    const extra = conditions.map((c) => ` AND (${c.text})`).join('');
    return new Raw(
      `${mark} ${ident(table).name}${final ? ' FINAL' : ''} WHERE client_id = ${literal(clientId)}${extra}`,
    );
  };
  return {
    clientId,
    from: (table, ...conditions) => source(table, true, conditions),
    fromAnyCopy: (table, ...conditions) => source(table, false, conditions),
    latestEvents: (columns, ...conditions) => {
      const picked = columns.map((c) => {
        if (!/^[a-z][a-z0-9_]{0,62}$/.test(c) || EVENT_KEY.includes(c))
          throw new InternalError('UNSAFE_SQL', `not a column to pick: ${c}`);
        return c;
      });
      // Every value from the same copy (one argMax of a tuple), as FINAL keeps one row; the conditions
      // two levels down, where no alias can shadow the column they name.
      const rows = `SELECT ${[...EVENT_KEY, ...picked, 'received_at'].join(', ')} FROM ${source('analytics_events', false, conditions).text}`;
      const latest = `SELECT ${EVENT_KEY.join(', ')}, argMax(tuple(${picked.join(', ')}), received_at) AS latest_copy FROM (${rows}) GROUP BY ${EVENT_KEY.join(', ')}`;
      const out = picked.map((c, i) => `tupleElement(latest_copy, ${i + 1}) AS ${c}`);
      return new Raw(`(SELECT ${[...EVENT_KEY, ...out].join(', ')} FROM (${latest}))`);
    },
    async query<T>(sql: SqlText) {
      assertScoped(sql, clientId);
      return ch.query<T>(sql);
    },
    async insertSelect(table, select) {
      assertScoped(select, clientId);
      if (!ROLLUP_TABLES.includes(table))
        throw new InternalError('UNSAFE_SQL', `not a rollup table: ${table}`);
      await ch.command(`INSERT INTO ${ident(table).name} ${select}` as SqlText);
    },
  };
}

/** `AND`-able condition text from chSql (a typed wrapper so conditions stay escaped). */
export const cond = (strings: TemplateStringsArray, ...values: unknown[]): Raw =>
  new Raw(chSql(strings, ...values));
