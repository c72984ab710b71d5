import type { Kysely } from 'kysely';
import pg from 'pg';
import {
  type BusMessage,
  type OutgoingMessage,
  type SubscribeOptions,
  type Subscription,
  topicMatches,
} from '../../../contract/bus.ts';
import { backoffDelay } from '../backoff.ts';
import { logger } from '../log.ts';
import type { InspectableBus } from './inspect.ts';
import * as repo from './postgres-bus-repo.ts';

export { busMigrations } from './postgres-bus-migrations.ts';

export interface PostgresBusOptions {
  // biome-ignore lint/suspicious/noExplicitAny: the bus tables are addressed with raw sql.
  db: Kysely<any>;
  /** Connection string for a dedicated LISTEN connection; without it subscribers only poll. */
  listenUrl?: string;
  /** How often an idle subscriber looks for work when no notification arrives. Default 1000 ms. */
  pollMs?: number;
  /** A claimed message not acknowledged within this is delivered again. Default 60 s. */
  visibilityMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  log?: (message: string, err?: unknown) => void;
}

/**
 * The local bus: a durable queue in Postgres. Publishing inserts the message once (by id) and one
 * delivery row per matching subscription, in one transaction; subscribers claim deliveries with
 * FOR UPDATE SKIP LOCKED (so several processes share a subscription), are woken by LISTEN/NOTIFY, retry
 * failures with backoff and park a message as dead after `maxAttempts`. At-least-once.
 */
export function createPostgresBus(opts: PostgresBusOptions): InspectableBus {
  const { db } = opts;
  const log =
    opts.log ??
    ((m, e) => logger.error({ component: 'postgres-bus', ...(e === undefined ? {} : { err: e }) }, m));
  const pollMs = opts.pollMs ?? 1_000;
  const visibilityMs = opts.visibilityMs ?? 60_000;
  const baseMs = opts.retryBaseMs ?? 1_000;
  const maxMs = opts.retryMaxMs ?? 5 * 60_000;
  const wakers = new Map<string, Set<() => void>>();
  let listener: pg.Client | null = null;
  let closed = false;
  const subscriptions = new Set<Subscription>();

  const wake = (name: string) => {
    for (const w of wakers.get(name) ?? []) w();
  };

  async function ensureListener(): Promise<void> {
    if (!opts.listenUrl || listener || closed) return;
    const client = new pg.Client({ connectionString: opts.listenUrl, connectionTimeoutMillis: 5_000 });
    listener = client;
    client.on('notification', (n) => n.payload && wake(n.payload));
    client.on('error', (err) => {
      // Polling keeps things moving; reconnect in the background.
      log('listen connection lost', err);
      listener = null;
      client.end().catch(() => {});
      setTimeout(() => ensureListener().catch(() => {}), 1_000).unref();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${repo.NOTIFY_CHANNEL}`);
    } catch (err) {
      listener = null;
      log('could not LISTEN; polling only', err);
    }
  }

  async function publishMany(messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const rows = messages.map((m) => ({ id: m.id ?? crypto.randomUUID(), topic: m.topic, message: m }));
    await db.transaction().execute(async (trx) => {
      // Only messages some subscription wants are stored (and serialised): a topic nobody listens to
      // costs nothing (event.* topics carry every ingested event). Idempotency by id holds for everything stored.
      const subs = await repo.listSubscriptions(trx);
      const wanted = new Map<string, string[]>();
      for (const r of rows) {
        const names = subs.filter((s) => topicMatches(s.pattern, r.topic)).map((s) => s.name);
        if (names.length) wanted.set(r.id, names);
      }
      if (wanted.size === 0) return;
      const inserted = await repo.insertMessages(
        trx,
        rows
          .filter((r) => wanted.has(r.id))
          .map((r) => ({
            id: r.id,
            topic: r.topic,
            payload: JSON.stringify(r.message.payload ?? null),
            correlationId: r.message.correlationId ?? null,
          })),
      );
      const pairs: { subscription: string; messageId: string }[] = [];
      const touched = new Set<string>();
      for (const m of inserted) {
        for (const name of wanted.get(m.id) ?? []) {
          pairs.push({ subscription: name, messageId: m.id });
          touched.add(name);
        }
      }
      await repo.insertDeliveries(trx, pairs);
      await repo.notify(trx, [...touched]); // delivered by Postgres at commit
    });
  }

  async function subscribe(
    name: string,
    pattern: string,
    handler: (msg: BusMessage) => Promise<void>,
    sopts: SubscribeOptions = {},
  ): Promise<Subscription> {
    const maxAttempts = sopts.maxAttempts ?? 10;
    const concurrency = sopts.concurrency ?? 8;
    await repo.upsertSubscription(db, name, pattern);
    await ensureListener();
    let stopped = false;
    let inflight = 0;
    const running = new Set<Promise<void>>();
    let wakeUp: (() => void) | null = null;
    const waker = () => wakeUp?.();
    if (!wakers.has(name)) wakers.set(name, new Set());
    wakers.get(name)!.add(waker);

    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(done, ms);
        function done() {
          clearTimeout(t);
          wakeUp = null;
          resolve();
        }
        wakeUp = done;
      });

    async function handle(msg: BusMessage): Promise<void> {
      try {
        await handler(msg);
        await repo.ack(db, name, msg.id);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        try {
          if (msg.attempt >= maxAttempts) await repo.markDead(db, name, msg.id, reason);
          else {
            const delay = backoffDelay(msg.attempt, { baseMs, maxMs });
            await repo.retryLater(db, name, msg.id, delay, reason);
            setTimeout(waker, delay + 5).unref();
          }
        } catch (e) {
          log(`could not record failure of ${msg.id}; it is redelivered after the visibility timeout`, e);
        }
      }
    }

    const loop = (async () => {
      while (!stopped) {
        const free = concurrency - inflight;
        if (free > 0) {
          let batch: BusMessage[] = [];
          try {
            batch = await repo.claim(db, name, free, visibilityMs);
          } catch (err) {
            log(`claim for ${name} failed`, err);
          }
          for (const msg of batch) {
            inflight++;
            const p = handle(msg).finally(() => {
              inflight--;
              running.delete(p);
              waker();
            });
            running.add(p);
          }
          if (batch.length === free && !stopped) continue;
        }
        if (!stopped) await pause(pollMs);
      }
      await Promise.all(running);
    })();

    const sub: Subscription = {
      async stop() {
        stopped = true;
        waker();
        await loop;
        wakers.get(name)?.delete(waker);
        subscriptions.delete(sub);
      },
    };
    subscriptions.add(sub);
    return sub;
  }

  return {
    publish: (topic, payload, o) => publishMany([{ topic, payload, ...o }]),
    publishMany,
    subscribe,
    deadLetters: (subscription) => repo.listDead(db, subscription),
    depth: () => repo.depth(db),
    async ping() {
      await repo.listSubscriptions(db);
    },
    async close() {
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.stop()));
      const l = listener;
      listener = null;
      await l?.end().catch(() => {});
    },
  };
}

export { pruneMessages as pruneBusMessages } from './postgres-bus-repo.ts';
