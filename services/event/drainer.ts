import type { Kysely } from 'kysely';
import type { Bus } from '../../contract/bus.ts';
import { AppError, isAppError } from '../../contract/errors.ts';
import { InternalError } from '../../contract/internal-error.ts';
import { backoffDelay } from '../platform/backoff.ts';
import type { ClickHouse } from '../platform/clickhouse.ts';
import type { Db } from '../platform/db.ts';
import { childLogger } from '../platform/log.ts';
import type { EnrichedEvent } from './enrich.ts';
import { insertEventRows, toEventRow } from './events-table.ts';
import {
  advanceCursor,
  countAfter,
  type EventTables,
  isFor,
  type OutboxRow,
  parkDeadLetter,
  pruneTaken,
  readAfter,
  readCursor,
  type Sink,
  tryLockSink,
  unlockSink,
} from './repo.ts';
import { busMessageId, eventTopic } from './topics.ts';

export interface SinkOptions {
  /** Longest a row waits before being written (ClickHouse prefers few large inserts). */
  intervalMs: number;
  /** Rows per write; reaching it triggers a write before the interval. */
  batchRows: number;
}

export interface DrainerOptions {
  db: Db;
  ch: ClickHouse;
  bus: Bus;
  clickhouse?: Partial<SinkOptions>;
  busSink?: Partial<SinkOptions>;
  /** Backoff after a failed write: base doubling up to max. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Times a sink may refuse one row on its own before the row is parked in event_dead_letters. Default 3. */
  maxAttempts?: number;
  /** Outbox rows (the dedup memory) are kept this long after both sinks have them. Default 7 days. */
  dedupWindowMs?: number;
  log?: (message: string, err?: unknown) => void;
}

export interface EventDrainer {
  start(): void;
  /** Tells the drainer new rows exist (a sink wakes early once a full batch is waiting). */
  nudge(count?: number): void;
  /** Waits until both sinks have every row committed so far (tests, benchmarks, shutdown). */
  settle(timeoutMs?: number): Promise<void>;
  pending(): Promise<{ clickhouse: number; bus: number }>;
  /** Rows parked in event_dead_letters by this drainer since it started, per sink (metrics). */
  parked(): { clickhouse: number; bus: number };
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The drainer's health canary (`askCanary`): a fixed event of a client id no client can have. */
export const CANARY_CLIENT_ID = '~drainer-canary';
const CANARY_ROW = toEventRow({
  event_id: 'drainer-canary',
  event: 'pulse_drainer_canary',
  client_id: CANARY_CLIENT_ID,
  occurred_at: '2000-01-03T00:00:00.000Z',
  received_at: '2000-01-03T00:00:00.000Z',
  source: 'server',
  trust: 'server',
  context: {},
});

/**
 * ClickHouse error codes that describe the server's state, not the rows: an outage (wait and retry
 * everything), never a refusal to bisect and park. Timeouts, too many queries or parts, memory, disk,
 * a read-only or unknown table or database, a cancelled query, network trouble between replicas.
 */
const CLICKHOUSE_STATE_CODES = new Set([
  '16',
  '60',
  '81',
  '159',
  '160',
  '164',
  '202',
  '209',
  '210',
  '236',
  '241',
  '242',
  '243',
  '252',
  '394',
  '999',
]);

/**
 * Whether a failed write means "the sink refused this data" (bisect, then park what it still refuses)
 * rather than "the sink is unreachable" (wait and retry everything): a ClickHouse server exception
 * (numeric code) other than the server-state codes above, an AppError a retry cannot fix (a bus adapter's size check, an unreadable payload),
 * or a Postgres data exception (SQLSTATE class 22) from the Postgres bus. Socket errors are outages.
 */
function isRefusal(sink: Sink, err: unknown): boolean {
  if (isAppError(err)) return !err.retryable;
  const code = (err as { code?: unknown } | null)?.code;
  if (sink === 'clickhouse') {
    // Newer servers' errors carry the code; 18.16's reach the client only as "Code: 25, e.displayText()…".
    const found =
      typeof code === 'string' && /^\d+$/.test(code)
        ? code
        : err instanceof Error
          ? /^Code: (\d+)[.,]/.exec(err.message)?.[1]
          : undefined;
    return found !== undefined && !CLICKHOUSE_STATE_CODES.has(found);
  }
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

/**
 * What is kept and shown of a sink's refusal: its code and kind, never its message. ClickHouse parse
 * errors quote the refused row (the client's data) and Postgres messages can name values; the operator
 * has the payload itself in event_dead_letters for a closer look.
 */
export function refusalSummary(sink: Sink, err: unknown): string {
  if (isAppError(err)) return `${sink} refused the event: ${err.code}`;
  const e = (err ?? {}) as { code?: unknown; type?: unknown; name?: unknown; message?: unknown };
  if (sink === 'clickhouse') {
    const code =
      typeof e.code === 'string' && /^\d+$/.test(e.code)
        ? e.code
        : /^Code: (\d+)[.,]/.exec(typeof e.message === 'string' ? e.message : '')?.[1];
    // Newer servers name the code (CANNOT_PARSE_DATETIME); 18.16's errors carry only the number.
    const type = typeof e.type === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(e.type) ? ` ${e.type}` : '';
    if (code) return `ClickHouse refused the row: Code: ${code}${type}`;
  }
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code))
    return `${sink} refused the event: SQLSTATE ${e.code}`;
  const name = typeof e.name === 'string' && /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(e.name) ? e.name : 'Error';
  return `${sink} refused the event: ${name}`;
}

const unreadable = (row: OutboxRow) =>
  new AppError('VALIDATION_FAILED', `outbox row seq ${row.seq} is not a readable event`);

/** JSON kept as text until serialised: `JSON.stringify` calls `toJSON`, so nothing parses it before then. */
class JsonText {
  constructor(private readonly text: string) {}
  toJSON(): unknown {
    try {
      return JSON.parse(this.text);
    } catch {
      throw new AppError('VALIDATION_FAILED', 'outbox payload is not JSON');
    }
  }
}

/**
 * Feeds the outbox to ClickHouse (batched) and to the bus, each sink on its own loop so one being down
 * never delays the other. Rows stay in the outbox until a sink has them: while ClickHouse is down events
 * wait, and are written when it returns. One drainer per sink runs across all replicas (advisory lock).
 */
export function createEventDrainer(opts: DrainerOptions): EventDrainer {
  const db = opts.db as Kysely<EventTables>;
  const logger = childLogger({ component: 'event-drainer' });
  const log = opts.log ?? ((m, e) => logger.error(e === undefined ? {} : { err: e }, `event drainer: ${m}`));
  const base = opts.retryBaseMs ?? 250;
  const max = opts.retryMaxMs ?? 30_000;
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
  const parked: Record<Sink, number> = { clickhouse: 0, bus: 0 };
  const cfg: Record<Sink, SinkOptions> = {
    clickhouse: { intervalMs: 5_000, batchRows: 5_000, ...opts.clickhouse },
    bus: { intervalMs: 100, batchRows: 1_000, ...opts.busSink },
  };
  const write: Record<Sink, (rows: OutboxRow[]) => Promise<void>> = {
    clickhouse: (rows) =>
      insertEventRows(
        opts.ch,
        rows.map((r) => {
          try {
            return toEventRow(JSON.parse(r.payload) as EnrichedEvent);
          } catch {
            throw unreadable(r);
          }
        }),
      ),
    // Topic and id come from columns; the payload is parsed only if an adapter serialises it (the
    // Postgres bus skips topics nobody subscribes to, so most page views are never parsed here).
    bus: async (rows) => {
      await opts.bus.publishMany(
        rows.map((r) => ({
          id: busMessageId(r),
          topic: eventTopic({
            event: r.event,
            client_id: r.client_id,
            campaign_id: r.campaign_id ?? undefined,
          }),
          payload: new JsonText(r.payload),
          ...(r.correlation_id ? { correlationId: r.correlation_id } : {}),
        })),
      );
      // Per event at debug (info would double the log volume of a busy ingest); the accept is at info.
      if (logger.isLevelEnabled('debug'))
        for (const r of rows)
          logger.debug(
            {
              client_id: r.client_id,
              event_id: r.event_id,
              event: r.event,
              correlation_id: r.correlation_id,
              outbox_seq: r.seq,
            },
            'event published to the bus',
          );
    },
  };
  let stopped = true;
  let loops: Promise<void>[] = [];
  const signal: Record<Sink, { count: number; wake: (() => void) | null }> = {
    clickhouse: { count: 0, wake: null },
    bus: { count: 0, wake: null },
  };

  function waitForWork(sink: Sink): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, cfg[sink].intervalMs);
      function done() {
        clearTimeout(timer);
        signal[sink].wake = null;
        signal[sink].count = 0;
        resolve();
      }
      signal[sink].wake = done;
    });
  }

  /**
   * Writes `rows`; when the sink refuses the data, bisects to write every row it takes and collects the
   * ones it refuses alone (about 2·log2(n) writes for one bad row among n). An outage propagates.
   */
  async function writeIsolating(sink: Sink, rows: OutboxRow[], refused: OutboxRow[]): Promise<void> {
    try {
      await write[sink](rows);
    } catch (err) {
      if (!isRefusal(sink, err)) throw err;
      if (rows.length === 1) {
        refused.push(rows[0]!);
        return;
      }
      const mid = rows.length >> 1;
      await writeIsolating(sink, rows.slice(0, mid), refused);
      await writeIsolating(sink, rows.slice(mid), refused);
    }
  }

  /**
   * Rows refused once already: retried alone with backoff (one wait per round for all of them, so a
   * flood of bad rows costs rounds, not rows × backoff), then parked (logged once each, counted).
   */
  async function retryOrPark(conn: Kysely<EventTables>, sink: Sink, rows: OutboxRow[]): Promise<void> {
    let left = rows.map((row) => ({ row, err: undefined as unknown }));
    for (let attempt = 2; attempt <= maxAttempts && left.length > 0; attempt++) {
      await sleep(Math.min(max, base * 2 ** (attempt - 2)));
      const still: typeof left = [];
      for (const r of left) {
        try {
          await write[sink]([r.row]);
        } catch (err) {
          if (!isRefusal(sink, err)) throw err;
          still.push({ row: r.row, err });
        }
      }
      left = still;
    }
    // Parked only if the sink takes a good row right now: a sink that began to refuse everything meanwhile
    // (an outage starting) throws here, and the rows stay in the outbox.
    if (left.length > 0 && sink === 'clickhouse') await askCanary(left.length);
    for (const { row, err } of left) {
      const reason = refusalSummary(sink, err);
      await parkDeadLetter(conn, sink, row, reason, maxAttempts);
      parked[sink]++;
      // The summary, not the error: a refusal's message can quote the row's data.
      log(
        `${sink} refused outbox row seq ${row.seq} (client ${row.client_id}, event ${row.event_id}) ${maxAttempts} times (${reason}); parked in event_dead_letters`,
      );
    }
  }

  /**
   * Whether ClickHouse takes a good row now: a missing table, a full disk or a read-only server refuse
   * everything, bad rows only themselves. The canary is a fixed synthetic event under a client id no
   * client can have (ids are `cli_…`), always the same row (one event id, one day), so the table keeps
   * one copy however often it is sent, no report of a client ever reads it, and no client's data is
   * written again (a row taken earlier could hold data erased since). Taken: the sink is up. Refused: an
   * outage (throws `UPSTREAM_UNAVAILABLE`); unreachable: the error itself.
   */
  async function askCanary(refused: number): Promise<void> {
    try {
      await insertEventRows(opts.ch, [CANARY_ROW]);
    } catch (err) {
      if (!isRefusal('clickhouse', err)) throw err;
      throw new AppError(
        'UPSTREAM_UNAVAILABLE',
        `clickhouse refused ${refused} rows and the canary row too (${refusalSummary('clickhouse', err)}); retried as an outage`,
      );
    }
  }

  async function runSink(sink: Sink): Promise<void> {
    let failures = 0;
    const limit = cfg[sink].batchRows;
    while (!stopped) {
      try {
        await db.connection().execute(async (conn) => {
          while (!stopped && !(await tryLockSink(conn, sink))) await waitForWork(sink);
          try {
            let cursor = await readCursor(conn, sink);
            while (!stopped) {
              const rows = await readAfter(conn, cursor, limit);
              if (rows.length > 0) {
                // A dead letter re-queued for the other sink is passed over: the cursor still moves past it.
                const mine = rows.filter((r) => isFor(sink, r));
                const refused: OutboxRow[] = [];
                try {
                  if (mine.length > 0) await writeIsolating(sink, mine, refused);
                  // Refusing every row cannot by itself tell bad rows from a sink that refuses everything
                  // (a missing table, a full disk): rows are parked only once the sink has taken another
                  // row, of the same read or, for ClickHouse, the canary, so one tenant's poison never
                  // blocks the rest and an outage is never emptied into dead letters. The bus has no
                  // canary: publishing a message again can reach SNS subscribers twice (its dedup is a
                  // short in-memory window), so a read it refuses entirely is retried like an outage.
                  if (refused.length > 0 && refused.length === mine.length) {
                    if (sink !== 'clickhouse')
                      throw new AppError(
                        'UPSTREAM_UNAVAILABLE',
                        `${sink} refused all ${mine.length} rows read`,
                      );
                    await askCanary(mine.length);
                    log(
                      `clickhouse refused all ${mine.length} rows read but took the canary row: the sink is up, the rows are retried alone, then parked`,
                    );
                  }
                  if (refused.length > 0) await retryOrPark(conn, sink, refused);
                } catch (err) {
                  failures++;
                  // A refusal is logged by its summary: its message can quote the rows' data.
                  log(
                    `${sink} write of ${mine.length} rows failed (attempt ${failures}); will retry`,
                    isRefusal(sink, err) ? refusalSummary(sink, err) : err,
                  );
                  // Capped at 5 s when the sink answered (it refused): rows behind a lone bad row get
                  // through within seconds of arriving; a sink that does not answer backs off to the max.
                  const cap = isRefusal(sink, err) || isAppError(err) ? Math.min(max, 5_000) : max;
                  await sleep(backoffDelay(failures, { baseMs: base, maxMs: cap }));
                  continue;
                }
                // Advanced only after the sink has the rows (or they are parked): a crash in between
                // re-sends them, which the ClickHouse engine (ReplacingMergeTree by event id) and the bus
                // (idempotent ids) absorb.
                const last = rows[rows.length - 1]!;
                cursor = { txid: last.txid, seq: last.seq };
                await advanceCursor(conn, sink, cursor);
                failures = 0;
                if (rows.length === limit) continue;
              }
              await waitForWork(sink);
            }
          } finally {
            await unlockSink(conn, sink).catch(() => {});
          }
        });
      } catch (err) {
        if (stopped) break;
        failures++;
        log(`${sink} loop lost its database connection; reconnecting`, err);
        await sleep(backoffDelay(failures, { baseMs: base, maxMs: max }));
      }
    }
  }

  async function pruneLoop(): Promise<void> {
    const windowMs = opts.dedupWindowMs ?? 7 * 24 * 3600_000;
    while (!stopped) {
      await pruneTaken(db, new Date(Date.now() - windowMs)).catch((err) => log('prune failed', err));
      for (let i = 0; i < 60 && !stopped; i++) await sleep(1_000);
    }
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      loops = [runSink('clickhouse'), runSink('bus'), pruneLoop()];
    },
    nudge(count = 1) {
      for (const sink of ['clickhouse', 'bus'] as const) {
        signal[sink].count += count;
        // Waking per request would cost a query per request under load: wake on a full batch only.
        if (signal[sink].count >= cfg[sink].batchRows) signal[sink].wake?.();
      }
    },
    async settle(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const p = await this.pending();
        if (p.clickhouse === 0 && p.bus === 0) return;
        if (Date.now() > deadline)
          throw new InternalError('TIMED_OUT', `drainer did not settle: ${JSON.stringify(p)}`);
        signal.clickhouse.wake?.();
        signal.bus.wake?.();
        await sleep(50);
      }
    },
    async pending() {
      return { clickhouse: await countAfter(db, 'clickhouse'), bus: await countAfter(db, 'bus') };
    },
    parked: () => ({ ...parked }),
    async stop() {
      stopped = true;
      signal.clickhouse.wake?.();
      signal.bus.wake?.();
      await Promise.all(loops);
      loops = [];
    },
  };
}
