import { keys, load, save, uuid } from './storage.ts';

export type PulseEvent = Record<string, unknown> & { event_id: string };

export interface TransportOptions {
  endpoint: string;
  key: string;
  flushAt: number;
  flushIntervalMs: number;
  /** The participant's identity token, sent in the body (sendBeacon cannot set headers). */
  identity?: () => string | null;
}

/** Events kept at most (oldest dropped) so an offline visitor cannot fill storage. */
const MAX_QUEUE = 500;
const MAX_BATCH = 100;
/** sendBeacon payloads are capped by browsers at about 64 KB. */
const BEACON_BYTES = 60_000;

/**
 * The outgoing queue. Every event is persisted (per tab) until the server acknowledges it, so a closed
 * tab, a crash or an offline spell loses nothing: the next load adopts every tab's leftovers and sends
 * them. Event ids are fixed at creation, so a resend is answered "already processed", never counted twice.
 * Sends use `?key=` and a text/plain body: a CORS "simple request", no preflight.
 */
export function createTransport(o: TransportOptions) {
  const tab = `q:${uuid().slice(0, 8)}`;
  let queue: PulseEvent[] = [];
  const inflight = new Set<string>();
  let failures = 0;
  let retryAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sending = false;
  let stopped = false;
  const url = `${o.endpoint.replace(/\/$/, '')}/v1/events/batch?key=${encodeURIComponent(o.key)}`;
  const envelope = (events: PulseEvent[]) => {
    const identity = o.identity?.();
    return JSON.stringify({ events, sent_at: new Date().toISOString(), ...(identity ? { identity } : {}) });
  };

  // Adopt what earlier page loads (or other tabs) left behind; duplicates are harmless (server dedup).
  const seen = new Set<string>();
  for (const k of keys('q:')) {
    for (const e of load<PulseEvent[]>(k) ?? [])
      if (!seen.has(e.event_id) && seen.add(e.event_id)) queue.push(e);
    save(k, null);
  }
  const persist = () => save(tab, queue.length ? queue : null);
  persist();

  function schedule(ms: number) {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(flush, ms);
  }

  function drop(ids: Set<string>) {
    queue = queue.filter((e) => !ids.has(e.event_id));
    persist();
  }

  async function flush(): Promise<void> {
    if (sending || stopped || !queue.length) return;
    if (!navigator.onLine) return; // the `online` event flushes
    const wait = retryAt - Date.now();
    if (wait > 0) return schedule(wait);
    const batch = queue.filter((e) => !inflight.has(e.event_id)).slice(0, MAX_BATCH);
    if (!batch.length) return;
    const ids = new Set(batch.map((e) => e.event_id));
    for (const id of ids) inflight.add(id);
    sending = true;
    let retryAfter = 0;
    try {
      const body = envelope(batch);
      const res = await fetch(url, {
        method: 'POST',
        body,
        headers: { 'Content-Type': 'text/plain' },
        keepalive: body.length < BEACON_BYTES,
        credentials: 'omit',
      });
      if (res.status === 429 || res.status >= 500) {
        retryAfter = Number(res.headers.get('Retry-After')) * 1000 || 0;
        throw 0;
      }
      // 2xx, or a 4xx that no retry can fix (invalid events, revoked key): done with these events.
      drop(ids);
      failures = 0;
      retryAt = 0;
    } catch {
      failures++;
      retryAt = Date.now() + Math.max(retryAfter, Math.min(60_000, 1000 * 2 ** (failures - 1)));
    } finally {
      for (const id of ids) inflight.delete(id);
      sending = false;
    }
    if (queue.length) schedule(failures ? retryAt - Date.now() : 0);
    else schedule(o.flushIntervalMs);
  }

  /** Page is going away: hand what is left to the browser with sendBeacon (headers impossible: ?key=). */
  function beacon(): void {
    if (!navigator.onLine || !navigator.sendBeacon) return;
    const rest = queue.filter((e) => !inflight.has(e.event_id));
    const sent = new Set<string>();
    for (let i = 0; i < rest.length; ) {
      let chunk = rest.slice(i, i + MAX_BATCH);
      let body = envelope(chunk);
      while (body.length > BEACON_BYTES && chunk.length > 1) {
        chunk = chunk.slice(0, chunk.length >> 1);
        body = envelope(chunk);
      }
      if (!navigator.sendBeacon(url, new Blob([body], { type: 'text/plain' }))) break;
      for (const e of chunk) sent.add(e.event_id);
      i += chunk.length;
    }
    if (sent.size) drop(sent);
  }

  schedule(queue.length ? 0 : o.flushIntervalMs);
  return {
    push(e: PulseEvent) {
      queue.push(e);
      if (queue.length > MAX_QUEUE) queue.splice(0, queue.length - MAX_QUEUE);
      persist();
      if (queue.length - inflight.size >= o.flushAt) void flush();
    },
    flush,
    beacon,
    /** Forget everything queued (opt-out). */
    clear() {
      queue = [];
      persist();
    },
    size: () => queue.length,
    online() {
      retryAt = 0;
      void flush();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

export type Transport = ReturnType<typeof createTransport>;
