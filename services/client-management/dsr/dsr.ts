import type { Client } from '@temporalio/client';
import { strToU8, zipSync } from 'fflate';
import { sql } from 'kysely';
import { AppError } from '../../../contract/errors.ts';
import {
  type ClickHouse,
  catalogueIdent,
  chSql,
  ident,
  Raw,
  type SqlText,
} from '../../platform/clickhouse.ts';
import type { Db } from '../../platform/db.ts';
import { keyedHash, newId, randomToken } from '../../platform/ids.ts';
import { logger } from '../../platform/log.ts';
import type { ParticipantData, ParticipantTable } from '../../platform/participant-data.ts';

/**
 * Data-subject requests for one participant of one client: `exportParticipant` gathers everything held
 * (Postgres rows of every table, ClickHouse rows of every table, the journeys' Temporal state) into one
 * zip; `eraseParticipant` ends the journeys (terminated with a reason, then deleted from Temporal),
 * removes or pseudonymises the Postgres rows as each service declared (services/platform/participant-data.ts),
 * sweeps every other text/json column for the participant's identifiers, and deletes (or, for the
 * declared columns, pseudonymises) the ClickHouse rows with `ALTER TABLE … DELETE/UPDATE` mutations
 * (ClickHouse 18.16 has no lightweight deletes), waiting until they are done. Ledger rows stay, with
 * their amounts and ids, under a pseudonym. Each request is logged in `dsr_requests` (the participant
 * named by a keyed hash only) and in the audit log.
 */

/** Tables the sweep never reads or rewrites: the request log, the append-only audit log, migrations. */
const NOT_SWEPT = new Set(['dsr_requests', 'audit_log']);
const isMigrationTable = (t: string) => t.startsWith('migrations_') || t.startsWith('kysely_');

export interface DsrDeps {
  db: Db;
  ch: ClickHouse;
  temporal: Client;
  registry: readonly ParticipantData[];
  hashSecret: string;
  /** How long to wait for ClickHouse mutations (default 60 s). */
  mutationTimeoutMs?: number;
}

export interface Identifiers {
  participantId: string;
  /** The participant's id and every contact address and anonymous id found, matched in every table. */
  values: string[];
}

/** A regular expression (Postgres ARE) matching any of the values as a whole token. */
function tokenPattern(values: readonly string[]): string {
  const esc = (v: string) => v.replace(/[\\^$.|?*+()[\]{}-]/g, '\\$&');
  return `(?<![A-Za-z0-9_.@+-])(${values.map(esc).join('|')})(?![A-Za-z0-9_@-]|\\.[A-Za-z0-9])`;
}

interface Column {
  table: string;
  column: string;
  type: string;
}

async function sweptColumns(db: Db): Promise<Map<string, Column[]>> {
  const rows = await sql<Column>`
    select c.table_name as table, c.column_name as column, c.data_type as type
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
      and (c.data_type in ('text', 'character varying', 'json', 'jsonb')
        or (c.data_type = 'ARRAY' and c.udt_name in ('_text', '_varchar')))
    order by c.table_name, c.ordinal_position`.execute(db);
  const out = new Map<string, Column[]>();
  for (const r of rows.rows) {
    if (NOT_SWEPT.has(r.table) || isMigrationTable(r.table)) continue;
    out.set(r.table, [...(out.get(r.table) ?? []), r]);
  }
  return out;
}

async function tableHasClientId(db: Db, table: string): Promise<boolean> {
  const r = await sql<{ n: number }>`select count(*)::int as n from information_schema.columns
    where table_schema = current_schema() and table_name = ${table} and column_name = 'client_id'`.execute(
    db,
  );
  return (r.rows[0]?.n ?? 0) > 0;
}

/** `col::text ~ pattern` over every swept column of a table, scoped to the client. */
function matchRows(cols: Column[], pattern: string, clientId: string, scoped: boolean) {
  const any = sql.join(
    cols.map((c) => sql`${sql.ref(c.column)}::text ~ ${pattern}`),
    sql` or `,
  );
  // Tables without client_id (the bus's messages) are matched only in rows that name the client too.
  const client = scoped
    ? sql`${sql.ref('client_id')} = ${clientId}`
    : sql`(${sql.join(
        cols.map((c) => sql`strpos(${sql.ref(c.column)}::text, ${clientId}) > 0`),
        sql` or `,
      )})`;
  return sql`${client} and (${any})`;
}

/** Replaces the matching tokens inside every string (keys included) of a JSON document. */
function scrubJson(value: unknown, re: RegExp, pseudonym: string): unknown {
  if (typeof value === 'string') return value.replace(re, pseudonym);
  if (Array.isArray(value)) return value.map((v) => scrubJson(v, re, pseudonym));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k.replace(re, pseudonym), scrubJson(v, re, pseudonym)]),
    );
  return value;
}

/** The sweep of one json/jsonb column: matching rows (locked) are parsed, scrubbed and written back. */
async function rewriteJsonColumn(
  tx: Db,
  table: string,
  c: Column,
  pattern: string,
  pseudonym: string,
  clientId: string,
  scoped: boolean,
): Promise<number> {
  const col = sql.ref(c.column);
  const rows = await sql<{ row: string; doc: string }>`
    select ctid::text as row, ${col}::text as doc from ${sql.table(table)}
    where ${matchRows([c], pattern, clientId, scoped)} for update`.execute(tx);
  const re = new RegExp(pattern, 'g');
  for (const r of rows.rows) {
    const doc = JSON.stringify(scrubJson(JSON.parse(r.doc), re, pseudonym));
    await sql`update ${sql.table(table)} set ${col} = ${doc}::${sql.raw(c.type)}
      where ctid = ${r.row}::tid`.execute(tx);
  }
  return rows.rows.length;
}

/** The participant's id, plus the contact addresses the declared tables hold and the anonymous ids of their events. */
export async function collectIdentifiers(
  deps: Pick<DsrDeps, 'db' | 'ch' | 'registry'>,
  clientId: string,
  participantId: string,
): Promise<Identifiers> {
  const values = new Set([participantId]);
  for (const t of deps.registry.flatMap((d) => d.tables)) {
    if (!t.contactColumns?.length) continue;
    const rows = await deps.db
      .selectFrom(t.table)
      .select(t.contactColumns.map((c) => sql.ref(c).as(c)))
      .where('client_id', '=', clientId)
      .where((eb) => eb.or(t.idColumns.map((c) => eb(c, '=', participantId))))
      .execute();
    for (const r of rows)
      for (const c of t.contactColumns) {
        const v = (r as Record<string, unknown>)[c];
        if (typeof v === 'string' && v.length >= 5) values.add(v);
      }
  }
  try {
    const anon = await deps.ch.query<{ a: string }>(
      chSql`SELECT DISTINCT anonymous_id AS a FROM events WHERE client_id = ${clientId} AND participant_id = ${participantId} AND anonymous_id != ''`,
    );
    for (const r of anon) values.add(r.a);
  } catch (err) {
    logger.warn({ err }, 'anonymous ids not read from ClickHouse');
  }
  return { participantId, values: [...values] };
}

// ---------------------------------------------------------------- ClickHouse

interface ChTable {
  name: string;
  strings: string[];
}

/** The analytics table the daily rollup reads, and the rollup's markers of changed days. */
const ROLLED_UP = 'analytics_events';
const TOUCHED_DAYS = 'analytics_touched_days';

async function clickhouseTables(ch: ClickHouse): Promise<ChTable[]> {
  const tables = await ch.query<{ name: string }>(
    chSql`SELECT name FROM system.tables WHERE database = ${ch.database} AND engine LIKE '%MergeTree%'`,
  );
  const cols = await ch.query<{ table: string; name: string; type: string }>(
    chSql`SELECT table, name, type FROM system.columns WHERE database = ${ch.database}`,
  );
  return tables
    .map((t) => ({
      name: t.name,
      strings: cols.filter((c) => c.table === t.name && c.type === 'String').map((c) => c.name),
    }))
    .filter((t) => t.strings.includes('client_id'));
}

/** Rows naming the participant: a String column equal to an identifier, or holding one as a JSON string or address. */
function chMatch(t: ChTable, ids: Identifiers, clientId: string): SqlText {
  const terms: string[] = [];
  for (const col of t.strings) {
    if (col === 'client_id') continue;
    terms.push(chSql`has(${ids.values}, ${ident(col)})`);
    for (const v of ids.values) {
      terms.push(chSql`position(${ident(col)}, ${JSON.stringify(v)}) > 0`);
      if (v.includes('@') || /\d{7,}/.test(v)) terms.push(chSql`position(${ident(col)}, ${v}) > 0`);
    }
  }
  return chSql`client_id = ${clientId} AND (${new Raw(terms.join(' OR ') || '0')})`;
}

async function waitForMutations(ch: ClickHouse, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const [row] = await ch.query<{ n: string }>(
      chSql`SELECT count() AS n FROM system.mutations WHERE database = ${ch.database} AND is_done = 0`,
    );
    if (Number(row?.n ?? 0) === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  // The erasure is done in Postgres and queued in ClickHouse; repeating the request is safe.
  throw new AppError(
    'UPSTREAM_UNAVAILABLE',
    'ClickHouse is still applying the erasure; repeat the request',
    [],
    {
      'Retry-After': '30',
    },
  );
}

// ---------------------------------------------------------------- Temporal

async function journeysOf(temporal: Client, clientId: string, participantId: string) {
  const lit = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const query = `client_id = ${lit(clientId)} AND participant_id = ${lit(participantId)}`;
  const out: { workflowId: string; runId: string; status: string }[] = [];
  for await (const w of temporal.workflow.list({ query }))
    out.push({ workflowId: w.workflowId, runId: w.runId, status: w.status.name });
  return out;
}

// ---------------------------------------------------------------- export

export interface ExportResult {
  archive: Uint8Array;
  manifest: {
    format: 'zip';
    client_id: string;
    generated_at: string;
    postgres: Record<string, number>;
    clickhouse: Record<string, number>;
    journeys: number;
  };
}

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');

export async function exportParticipant(
  deps: DsrDeps,
  clientId: string,
  participantId: string,
): Promise<ExportResult> {
  const ids = await collectIdentifiers(deps, clientId, participantId);
  const pattern = tokenPattern(ids.values);
  const files: Record<string, Uint8Array> = {};
  const postgres: Record<string, number> = {};
  for (const [table, cols] of await sweptColumns(deps.db)) {
    const scoped = await tableHasClientId(deps.db, table);
    const rows =
      await sql`select * from ${sql.table(table)} where ${matchRows(cols, pattern, clientId, scoped)}`.execute(
        deps.db,
      );
    if (rows.rows.length === 0) continue;
    postgres[table] = rows.rows.length;
    files[`postgres/${table}.jsonl`] = strToU8(jsonl(rows.rows));
  }
  const clickhouse: Record<string, number> = {};
  for (const t of await clickhouseTables(deps.ch)) {
    const rows = await deps.ch.query<Record<string, unknown>>(
      chSql`SELECT * FROM ${catalogueIdent(t.name)} WHERE ${new Raw(chMatch(t, ids, clientId))}`,
    );
    if (rows.length === 0) continue;
    clickhouse[t.name] = rows.length;
    files[`clickhouse/${t.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.jsonl`] = strToU8(jsonl(rows));
  }
  const journeys = await journeysOf(deps.temporal, clientId, participantId);
  let exported = 0;
  for (const j of journeys) {
    const handle = deps.temporal.workflow.getHandle(j.workflowId, j.runId);
    // Visibility lags a deletion (an erased participant's runs may still be listed for a moment).
    const d = await handle.describe().catch((err: Error) => {
      if (/not found/i.test(err.message) || err.name === 'WorkflowNotFoundError') return null;
      throw err;
    });
    if (!d) continue;
    exported++;
    const dir = `temporal/${encodeURIComponent(j.workflowId)}/${j.runId}`;
    files[`${dir}/execution.json`] = strToU8(
      JSON.stringify(
        {
          workflow_id: d.workflowId,
          run_id: d.runId,
          type: d.type,
          status: d.status.name,
          started_at: d.startTime.toISOString(),
          closed_at: d.closeTime?.toISOString() ?? null,
          memo: d.memo ?? {},
          search_attributes: Object.fromEntries(
            d.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value]),
          ),
        },
        null,
        2,
      ),
    );
    // protobuf messages serialise themselves (64-bit ints as strings, payload bytes as base64).
    files[`${dir}/history.json`] = strToU8(JSON.stringify(await handle.fetchHistory(), null, 1));
  }
  const manifest: ExportResult['manifest'] = {
    format: 'zip',
    client_id: clientId,
    generated_at: new Date().toISOString(),
    postgres,
    clickhouse,
    journeys: exported,
  };
  files['manifest.json'] = strToU8(
    JSON.stringify(
      { ...manifest, participant_id: participantId, matched_identifiers: ids.values.length },
      null,
      2,
    ),
  );
  return { archive: zipSync(files, { level: 6 }), manifest };
}

// ---------------------------------------------------------------- erasure

export interface EraseSummary {
  pseudonym: string;
  journeys: { terminated: number; deleted: number };
  postgres: { deleted: Record<string, number>; rewritten: Record<string, number> };
  clickhouse: { tables: string[] };
}

export async function eraseParticipant(
  deps: DsrDeps,
  clientId: string,
  participantId: string,
): Promise<EraseSummary> {
  const ids = await collectIdentifiers(deps, clientId, participantId);
  const pseudonym = `erased_${randomToken(20)}`;
  const summary: EraseSummary = {
    pseudonym,
    journeys: { terminated: 0, deleted: 0 },
    postgres: { deleted: {}, rewritten: {} },
    clickhouse: { tables: [] },
  };
  // 1. Journeys first, so none writes again: running ones end with a reason, then every run is deleted.
  for (const j of await journeysOf(deps.temporal, clientId, participantId)) {
    const handle = deps.temporal.workflow.getHandle(j.workflowId, j.runId);
    if (j.status === 'RUNNING') {
      await handle.terminate('data subject erasure').catch((err: unknown) => {
        logger.warn({ err, workflow_id: j.workflowId }, 'journey already closed');
      });
      summary.journeys.terminated++;
    }
    // Visibility lags a deletion: a run listed again by a repeated request may be gone already.
    const deleted = await deps.temporal.workflowService
      .deleteWorkflowExecution({
        namespace: deps.temporal.options.namespace,
        workflowExecution: { workflowId: j.workflowId, runId: j.runId },
      })
      .then(() => true)
      .catch((err: Error) => {
        if (/not found/i.test(err.message)) return false;
        throw err;
      });
    if (deleted) summary.journeys.deleted++;
  }
  // 2. Postgres, in one transaction: declared deletions and cleared columns, then the sweep.
  const pattern = tokenPattern(ids.values);
  await deps.db.transaction().execute(async (tx) => {
    const declared = deps.registry.flatMap((d) => d.tables) as ParticipantTable[];
    const contacts = ids.values.filter((v) => v !== participantId);
    for (const t of declared) {
      const mine = sql.join(
        [
          ...t.idColumns.map((c) => sql`${sql.ref(c)} = ${participantId}`),
          ...(contacts.length
            ? (t.contactColumns ?? []).map((c) => sql`${sql.ref(c)} in (${sql.join(contacts)})`)
            : []),
          ...(t.mentionedIn ?? []).map((c) => sql`${sql.ref(c)}::text ~ ${pattern}`),
        ],
        sql` or `,
      );
      const where = sql`${sql.ref('client_id')} = ${clientId} and (${mine})`;
      if (t.erase === 'delete') {
        const r = await sql`delete from ${sql.table(t.table)} where ${where}`.execute(tx);
        const n = Number(r.numAffectedRows ?? 0);
        if (n) summary.postgres.deleted[t.table] = n;
      } else if (t.erase.clear?.length) {
        const sets = sql.join(t.erase.clear.map((c) => sql`${sql.ref(c)} = null`));
        await sql`update ${sql.table(t.table)} set ${sets} where ${where}`.execute(tx);
      }
    }
    for (const [table, all] of await sweptColumns(tx)) {
      const scoped = await tableHasClientId(tx, table);
      // JSON is rewritten value by value in code: a text replace over the serialised document could hit
      // its syntax (a number, `true`, whitespace) and leave a row that is no longer JSON.
      const json = all.filter((c) => c.type === 'json' || c.type === 'jsonb');
      const cols = all.filter((c) => c.type !== 'json' && c.type !== 'jsonb');
      let n = 0;
      if (cols.length) {
        const sets = cols.map((c) => {
          const col = sql.ref(c.column);
          const rewrite = (e: ReturnType<typeof sql>) =>
            sql`regexp_replace(${e}, ${pattern}, ${pseudonym}, 'g')`;
          if (c.type === 'ARRAY')
            return sql`${col} = array(select ${rewrite(sql`x`)} from unnest(${col}) as x)`;
          return sql`${col} = ${rewrite(col)}`;
        });
        const r = await sql`update ${sql.table(table)} set ${sql.join(sets, sql`, `)}
          where ${matchRows(cols, pattern, clientId, scoped)}`.execute(tx);
        n += Number(r.numAffectedRows ?? 0);
      }
      for (const c of json) n += await rewriteJsonColumn(tx, table, c, pattern, pseudonym, clientId, scoped);
      if (n) summary.postgres.rewritten[table] = n;
    }
  });
  // 3. ClickHouse: declared columns pseudonymised in others' rows, then every row naming them deleted.
  const pseudo = new Map<string, readonly string[]>();
  for (const d of deps.registry) for (const t of d.clickhouse ?? []) pseudo.set(t.table, t.pseudonymise);
  const chTables = await clickhouseTables(deps.ch);
  // Days of analytics_events the deletes change. Mutations fire no materialized view, so the analytics
  // rollup's markers (analytics_touched_days, services/analytics/clickhouse/0901) are written here, or a
  // rolled-up day would keep counting the erased rows.
  let touchedDays: string[] = [];
  for (const t of chTables) {
    const table = catalogueIdent(t.name);
    for (const col of pseudo.get(t.name) ?? [])
      await deps.ch.command(
        chSql`ALTER TABLE ${table} UPDATE ${ident(col)} = ${pseudonym} WHERE client_id = ${clientId} AND has(${ids.values}, ${ident(col)})`,
      );
    const [hit] = await deps.ch.query<{ n: string }>(
      chSql`SELECT count() AS n FROM ${table} WHERE ${new Raw(chMatch(t, ids, clientId))}`,
    );
    if (Number(hit?.n ?? 0) === 0 && !pseudo.has(t.name)) continue;
    if (t.name === ROLLED_UP && Number(hit?.n ?? 0) > 0)
      touchedDays = (
        await deps.ch.query<{ day: string }>(
          chSql`SELECT DISTINCT toString(day) AS day FROM ${table} WHERE ${new Raw(chMatch(t, ids, clientId))}`,
        )
      ).map((r) => r.day);
    await deps.ch.command(chSql`ALTER TABLE ${table} DELETE WHERE ${new Raw(chMatch(t, ids, clientId))}`);
    summary.clickhouse.tables.push(t.name);
  }
  await waitForMutations(deps.ch, deps.mutationTimeoutMs ?? 60_000);
  // Marked once the deletes are done, at the server's time as the views mark: a rollup whose read began
  // before this marker counts the day dirty and recomputes it without the erased rows.
  if (touchedDays.length > 0 && chTables.some((t) => t.name === TOUCHED_DAYS))
    await deps.ch.command(
      chSql`INSERT INTO ${catalogueIdent(TOUCHED_DAYS)} (client_id, day, touched_at)
        SELECT ${clientId} AS client_id, toDate(d) AS day, now() AS touched_at
        FROM (SELECT arrayJoin(${touchedDays}) AS d)`,
    );
  return summary;
}

// ---------------------------------------------------------------- the request log

export async function logRequest(
  db: Db,
  hashSecret: string,
  row: {
    clientId: string;
    kind: 'export' | 'erase';
    participantId: string;
    summary: unknown;
    requestedBy: string | null;
    requestId: string;
  },
): Promise<string> {
  const id = newId('dsr');
  await db
    .insertInto('dsr_requests')
    .values({
      id,
      client_id: row.clientId,
      kind: row.kind,
      participant_hash: keyedHash(hashSecret, `participant:${row.participantId}`).slice(0, 32),
      status: 'completed',
      summary: JSON.stringify(row.summary),
      requested_by: row.requestedBy,
      request_id: row.requestId,
      completed_at: new Date(),
    })
    .execute();
  return id;
}
