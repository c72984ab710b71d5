import { Hono } from 'hono';
import { InternalError } from '../../contract/internal-error.ts';

/**
 * Liveness and readiness. `GET /health/live` answers while the process serves HTTP (no dependency is
 * asked: a restart cannot fix a dead database). `GET /health/ready` asks every dependency at once, each
 * bounded by a short timeout, and answers 503 when a required one is down, so a load balancer stops
 * sending traffic to this replica without the probe itself hanging on a dead port.
 */
export interface HealthCheck {
  name: string;
  /** A required part down makes the process unready; an optional one is only reported. */
  required: boolean;
  /** Resolves when the dependency answers; rejects (or never settles) when it does not. */
  check(): Promise<unknown>;
}

export interface CheckResult {
  status: 'up' | 'down';
  latency_ms: number;
  /** Why it is down: the error's class and a short message, never a connection string. */
  error?: string;
  required: boolean;
}

export const READY_TIMEOUT_MS = 2_000;

async function run(check: HealthCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new InternalError('TIMED_OUT', `no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([check.check(), timeout]);
    return { status: 'up', latency_ms: Math.round(performance.now() - started), required: check.required };
  } catch (err) {
    return {
      status: 'down',
      latency_ms: Math.round(performance.now() - started),
      error: describe(err),
      required: check.required,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Short, credential-free reason: URLs and `user:password@` parts are cut out of driver messages. */
function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  const text = message.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>').slice(0, 200);
  return typeof code === 'string' ? `${code}: ${text}` : text;
}

export interface HealthOptions {
  checks: readonly HealthCheck[];
  /** Services this process mounts (reported by /health/live). */
  services: readonly string[];
  timeoutMs?: number;
}

/** The health routes; `GET /health` stays as an alias of readiness (what monitors of it expect now). */
export function createHealthRoutes(opts: HealthOptions) {
  const timeoutMs = opts.timeoutMs ?? READY_TIMEOUT_MS;
  const ready = async () => {
    const results = await Promise.all(opts.checks.map((c) => run(c, timeoutMs)));
    const checks = Object.fromEntries(opts.checks.map((c, i) => [c.name, results[i] as CheckResult]));
    const ok = results.every((r) => r.status === 'up' || !r.required);
    return { ok, checks };
  };
  return new Hono()
    .get('/health/live', (c) =>
      c.json({ ok: true, status: 'live', services: opts.services, uptime_s: Math.round(process.uptime()) }),
    )
    .get('/health/ready', async (c) => {
      const r = await ready();
      return c.json({ ok: r.ok, status: r.ok ? 'ready' : 'unready', checks: r.checks }, r.ok ? 200 : 503);
    })
    .get('/health', async (c) => {
      const r = await ready();
      return c.json(
        { ok: r.ok, status: r.ok ? 'ready' : 'unready', services: opts.services, checks: r.checks },
        r.ok ? 200 : 503,
      );
    });
}
