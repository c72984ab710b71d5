import type { Kysely } from 'kysely';
import type { Bus } from '../../contract/bus.ts';
import { InternalError } from '../../contract/internal-error.ts';
import { backoffDelay } from '../platform/backoff.ts';
import type { ClickHouse } from '../platform/clickhouse.ts';
import type { Db } from '../platform/db.ts';
import type { EnrichedEvent } from './enrich.ts';
import { insertEventRows, toEventRow } from './events-table.ts';
import {
  advanceCursor,
  countAfter,
  type EventTables,
  type OutboxRow,
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
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A ClickHouse server exception (numeric code) means the data was refused; socket errors mean an outage. */
function isDataRejection(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^\d+$/.test(code);
}

/** JSON kept as text until serialised: `JSON.stringify` calls `toJSON`, so nothing parses it before then. */
class JsonText {
  constructor(private readonly text: string) {}
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

/**
 * Feeds the outbox to ClickHouse (batched) and to the bus, each sink on its own loop so one being down
 * never delays the other. Rows stay in the outbox until a sink has them: while ClickHouse is down events
 * wait, and are written when it returns. One drainer per sink runs across all replicas (advisory lock).
 */
export function createEventDrainer(opts: DrainerOptions): EventDrainer {
  const db = opts.db as Kysely<EventTables>;
  const log = opts.log ?? ((m, e) => console.error(`[event-drainer] ${m}`, e ?? ''));
  const base = opts.retryBaseMs ?? 250;
  const max = opts.retryMaxMs ?? 30_000;
  const cfg: Record<Sink, SinkOptions> = {
    clickhouse: { intervalMs: 5_000, batchRows: 5_000, ...opts.clickhouse },
    bus: { intervalMs: 100, batchRows: 1_000, ...opts.busSink },
  };
  const write: Record<Sink, (rows: OutboxRow[]) => Promise<void>> = {
    clickhouse: (rows) =>
      insertEventRows(
        opts.ch,
        rows.map((r) => toEventRow(JSON.parse(r.payload) as EnrichedEvent)),
      ),
    // Topic and id come from columns; the payload is parsed only if an adapter serialises it (the
    // Postgres bus skips topics nobody subscribes to, so most page views are never parsed here).
    bus: (rows) =>
      opts.bus.publishMany(
        rows.map((r) => ({
          id: busMessageId(r),
          topic: eventTopic({
            event: r.event,
            client_id: r.client_id,
            campaign_id: r.campaign_id ?? undefined,
          }),
          payload: new JsonText(r.payload),
        })),
      ),
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

  async function runSink(sink: Sink): Promise<void> {
    let failures = 0;
    // Shrinks while a sink rejects the data itself (not an outage), to isolate the offending row: every
    // row before it still gets through, and the log names the row that holds the sink back.
    let limit = cfg[sink].batchRows;
    while (!stopped) {
      try {
        await db.connection().execute(async (conn) => {
          while (!stopped && !(await tryLockSink(conn, sink))) await waitForWork(sink);
          try {
            let cursor = await readCursor(conn, sink);
            while (!stopped) {
              const rows = await readAfter(conn, cursor, limit);
              if (rows.length > 0) {
                try {
                  await write[sink](rows);
                } catch (err) {
                  failures++;
                  const rejected = isDataRejection(err);
                  if (rejected) limit = Math.max(1, limit >> 1);
                  const which = rows.length === 1 ? ` (outbox seq ${rows[0]?.seq})` : '';
                  log(
                    `${sink} write of ${rows.length} rows${which} failed (attempt ${failures}); will retry`,
                    err,
                  );
                  await sleep(backoffDelay(failures, { baseMs: base, maxMs: max }));
                  continue;
                }
                limit = Math.min(cfg[sink].batchRows, limit * 2);
                // Advanced only after the sink has the rows: a crash in between re-sends them, which the
                // ClickHouse engine (ReplacingMergeTree by event id) and the bus (idempotent ids) absorb.
                const last = rows[rows.length - 1]!;
                cursor = { txid: last.txid, seq: last.seq };
                await advanceCursor(conn, sink, cursor);
                failures = 0;
                if (rows.length === limit || rows.length === cfg[sink].batchRows) continue;
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
    async stop() {
      stopped = true;
      signal.clickhouse.wake?.();
      signal.bus.wake?.();
      await Promise.all(loops);
      loops = [];
    },
  };
}
