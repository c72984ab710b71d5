import type { Kysely } from 'kysely';
import { AppError } from '../../contract/errors.ts';
import { childLogger } from '../platform/log.ts';
import type { EnrichedEvent } from './enrich.ts';
import { type EventTables, insertEvents, outboxKey, type SerialisedEvent } from './repo.ts';
import { EVENT_LIMITS } from './sanitize.ts';

const writerLog = childLogger({ component: 'outbox-writer' });

export interface OutboxWriter {
  /**
   * Resolves once every event is committed (true) or found already there (false = duplicate).
   * `correlationId` (the accepting request's) is stored beside each event for the drainer to pass on.
   */
  write(events: EnrichedEvent[], correlationId?: string | null): Promise<boolean[]>;
  /** Events waiting or in flight (for metrics / shutdown). */
  pending(): number;
}

interface Waiting {
  events: SerialisedEvent[];
  resolve(inserted: boolean[]): void;
  reject(err: unknown): void;
}

/** An enriched event may outgrow the ingest's cap by the server's additions; beyond this it is refused. */
const MAX_STORED_BYTES = 2 * EVENT_LIMITS.maxEventBytes;

/**
 * Group commit: requests arriving while an INSERT is in flight are gathered into the next one, so under
 * load one statement (one WAL flush) carries many requests' events; an idle server still inserts at once.
 * Every request still waits for its own rows' commit before answering: durability is per request.
 *
 * Isolation: each request is serialised and checked before it joins a group, so its problems are its
 * own; when a group statement still fails, its members are retried one by one, so only the request the
 * database refuses fails (with a 400 naming no database text); the others commit.
 */
export function createOutboxWriter(
  db: Kysely<EventTables>,
  opts: { maxRows?: number; maxInflight?: number; log?: (message: string, err?: unknown) => void } = {},
): OutboxWriter {
  const maxRows = opts.maxRows ?? 2_000;
  // Two statements in flight: one committing while the next gathers; more only adds lock/WAL contention.
  const maxInflight = opts.maxInflight ?? 2;
  const log =
    opts.log ?? ((m, e) => writerLog.error(e === undefined ? {} : { err: e }, `outbox writer: ${m}`));
  const queue: Waiting[] = [];
  let queued = 0;
  let inflight = 0;

  function pump(): void {
    while (inflight < maxInflight && queue.length > 0) {
      const take: Waiting[] = [];
      let n = 0;
      while (queue.length > 0 && (n === 0 || n + (queue[0]?.events.length ?? 0) <= maxRows)) {
        const w = queue.shift()!;
        take.push(w);
        n += w.events.length;
      }
      queued -= n;
      inflight++;
      flush(take).finally(() => {
        inflight--;
        pump();
      });
    }
  }

  async function insertGroup(batch: Waiting[]): Promise<void> {
    // The same event twice in one statement: the first occurrence decides, later ones are duplicates.
    const seen = new Set<string>();
    const rows: SerialisedEvent[] = [];
    for (const w of batch) {
      for (const e of w.events) {
        const key = outboxKey(e.client_id, e.event_id);
        if (seen.has(key)) continue;
        seen.add(key);
        rows.push(e);
      }
    }
    const inserted = await insertEvents(db, rows);
    const claimed = new Set<string>();
    for (const w of batch) {
      w.resolve(
        w.events.map((e) => {
          const key = outboxKey(e.client_id, e.event_id);
          if (!inserted.has(key) || claimed.has(key)) return false;
          claimed.add(key);
          return true;
        }),
      );
    }
  }

  async function flush(batch: Waiting[]): Promise<void> {
    try {
      await insertGroup(batch);
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(refusal(err, log));
      // One member may have broken the statement: each alone, so only that one fails.
      for (const w of batch) {
        try {
          await insertGroup([w]);
        } catch (e) {
          w.reject(refusal(e, log));
        }
      }
    }
  }

  return {
    write(events, correlationId = null) {
      if (events.length === 0) return Promise.resolve([]);
      let serialised: SerialisedEvent[];
      try {
        serialised = events.map((e) => serialise(e, correlationId));
      } catch (err) {
        return Promise.reject(err);
      }
      return new Promise<boolean[]>((resolve, reject) => {
        queue.push({ events: serialised, resolve, reject });
        queued += serialised.length;
        pump();
      });
    },
    pending: () => queued + inflight,
  };
}

function serialise(e: EnrichedEvent, correlationId: string | null): SerialisedEvent {
  let json: string;
  try {
    json = JSON.stringify(e);
  } catch {
    throw new AppError('VALIDATION_FAILED', 'event cannot be serialised as JSON');
  }
  if (json.length > MAX_STORED_BYTES || Buffer.byteLength(json) > MAX_STORED_BYTES)
    throw new AppError('PAYLOAD_TOO_LARGE', `stored event would exceed ${MAX_STORED_BYTES} bytes`);
  return {
    client_id: e.client_id,
    event_id: e.event_id,
    event: e.event,
    campaign_id: e.campaign_id ?? null,
    correlation_id: correlationId,
    json,
  };
}

/**
 * A Postgres data exception (SQLSTATE class 22: bad encoding, NUL, invalid JSON…) or program limit
 * (54) on a request's own statement is that request's fault: a 400 without the database's text. Anything
 * else (connection, timeout) stays an outage for the caller to map to 503.
 */
function refusal(err: unknown, log: (message: string, err?: unknown) => void): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^(22|54)[0-9A-Z]{3}$/.test(code)) {
    log(`outbox refused a request's events (SQLSTATE ${code})`);
    return new AppError('VALIDATION_FAILED', 'the event store refused these events', [
      { path: '(root)', message: 'contains a value the event store cannot hold', expected: 'storable text' },
    ]);
  }
  return err;
}
