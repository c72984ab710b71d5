import type { Kysely } from 'kysely';
import type { EnrichedEvent } from './enrich.ts';
import { type EventTables, insertEvents, outboxKey } from './repo.ts';

export interface OutboxWriter {
  /** Resolves once every event is committed (true) or found already there (false = duplicate). */
  write(events: EnrichedEvent[]): Promise<boolean[]>;
  /** Events waiting or in flight (for metrics / shutdown). */
  pending(): number;
}

interface Waiting {
  events: EnrichedEvent[];
  resolve(inserted: boolean[]): void;
  reject(err: unknown): void;
}

/**
 * Group commit: requests arriving while an INSERT is in flight are gathered into the next one, so under
 * load one statement (one WAL flush) carries many requests' events; an idle server still inserts at once.
 * Every request still waits for its own rows' commit before answering: durability is per request.
 */
export function createOutboxWriter(
  db: Kysely<EventTables>,
  opts: { maxRows?: number; maxInflight?: number } = {},
): OutboxWriter {
  const maxRows = opts.maxRows ?? 2_000;
  // Two statements in flight: one committing while the next gathers; more only adds lock/WAL contention.
  const maxInflight = opts.maxInflight ?? 2;
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

  async function flush(batch: Waiting[]): Promise<void> {
    // The same event twice in one statement: the first occurrence decides, later ones are duplicates.
    const seen = new Set<string>();
    const rows: EnrichedEvent[] = [];
    for (const w of batch) {
      for (const e of w.events) {
        const key = outboxKey(e.client_id, e.event_id);
        if (seen.has(key)) continue;
        seen.add(key);
        rows.push(e);
      }
    }
    try {
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
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }

  return {
    write(events) {
      if (events.length === 0) return Promise.resolve([]);
      return new Promise<boolean[]>((resolve, reject) => {
        queue.push({ events, resolve, reject });
        queued += events.length;
        pump();
      });
    },
    pending: () => queued + inflight,
  };
}
