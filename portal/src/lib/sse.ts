import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { type ApiProblem, currentApiKey, problemOf } from './api.ts';

export type { EventSourceMessage };

/** connecting (first try), live (a message came on this connection), reconnecting (dropped, trying again). */
export type StreamState = 'connecting' | 'live' | 'reconnecting';

export interface FollowOptions {
  /** Each message of the stream, in order. */
  onMessage(message: EventSourceMessage): void;
  onState?(state: StreamState): void;
  /** The API refused the stream (401, 403 or another client error): it is not tried again. */
  onRefused?(problem: ApiProblem): void;
}

const FIRST_PAUSE_MS = 1_000;
const MAX_PAUSE_MS = 30_000;

/** An answer that trying again cannot change: a missing or insufficient credential, a bad request. */
const isFinal = (status: number) => status >= 400 && status < 500 && status !== 408 && status !== 429;

class Refused extends Error {
  constructor(readonly problem: ApiProblem) {
    super(problem.message);
  }
}

/**
 * Follows a server-sent-events route of this origin until the returned function is called. It reads the
 * answer with fetch rather than EventSource, which cannot send an Authorization header: a member's
 * session cookie rides it as on every call, and a tab signed in with an API key sends the key. A dropped
 * or ended stream (network failure, 5xx, the server closing it) is tried again after a pause that doubles
 * from 1 s up to 30 s and starts over once a message arrives; a refusal is final and reported with the
 * API's own reason. Stopping aborts the request in flight and any pending try.
 */
export function followEventStream(path: string, opts: FollowOptions): () => void {
  const controller = new AbortController();
  const { signal } = controller;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let state: StreamState | null = null;
  const enter = (next: StreamState) => {
    if (signal.aborted || next === state) return;
    state = next;
    opts.onState?.(next);
  };

  const connect = async () => {
    try {
      await readStream(path, signal, (message) => {
        if (signal.aborted) return;
        failures = 0;
        enter('live');
        opts.onMessage(message);
      });
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof Refused) {
        opts.onRefused?.(e.problem);
        return;
      }
    }
    if (signal.aborted) return;
    enter('reconnecting');
    const pause = Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** Math.min(failures, 5));
    failures += 1;
    timer = setTimeout(() => void connect(), pause);
  };

  enter('connecting');
  void connect();
  return () => {
    controller.abort();
    clearTimeout(timer);
  };
}

/** One connection: resolves when the server ends the stream, throws on a failure or a refusal. */
async function readStream(
  path: string,
  signal: AbortSignal,
  onMessage: (message: EventSourceMessage) => void,
): Promise<void> {
  const key = currentApiKey();
  const res = await fetch(path, {
    headers: { Accept: 'text/event-stream', ...(key ? { Authorization: `Bearer ${key}` } : {}) },
    credentials: 'same-origin',
    cache: 'no-store',
    signal,
  });
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined; // a proxy's HTML error page: the status alone says what happened
    }
    const problem = problemOf(body, res);
    if (isFinal(res.status)) throw new Refused(problem);
    throw new Error(problem.message);
  }
  // Anything but an event stream (a proxy's page, a cached answer) is a failed try, not a message source.
  if (!res.body || !(res.headers.get('Content-Type') ?? '').startsWith('text/event-stream')) {
    // Not read, so closed here: the connection is not left open until the answer is collected.
    await res.body?.cancel().catch(() => undefined);
    throw new Error('the answer is not an event stream');
  }
  const parser = createParser({ onEvent: onMessage });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let ended = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        parser.feed(decoder.decode());
        return;
      }
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } finally {
    // Leaving early (a message the page could not handle) must not leave the connection open.
    if (!ended) reader.cancel().catch(() => undefined);
  }
}
