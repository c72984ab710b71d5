import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** True when something accepts TCP connections on host:port (says nothing about what it is). */
export function tcpOpen(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** GET or POST over HTTP with a deadline; undefined when nothing answered. */
export async function httpText(
  url: string,
  init: { method?: 'GET' | 'POST'; body?: string; timeoutMs?: number } = {},
): Promise<{ status: number; text: string } | undefined> {
  try {
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      body: init.body,
      signal: AbortSignal.timeout(init.timeoutMs ?? 2_000),
    });
    return { status: res.status, text: await res.text() };
  } catch {
    return undefined;
  }
}

/**
 * Polls `check` until it passes or the deadline; `gaveUp` is checked between polls so a server that
 * exits during startup fails fast instead of after the whole timeout.
 */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  gaveUp: () => boolean = () => false,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (gaveUp() || Date.now() >= deadline) return false;
    await sleep(250);
  }
}
