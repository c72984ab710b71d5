import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { AppError, type ErrorDetail } from '../../contract/errors.ts';
import { type Cidr, formatIp, inAnyCidr, parseCidr, parseIp } from './cidr.ts';
import { blockedReason } from './outbound-targets.ts';

/**
 * The one way out to a URL a client gave us (webhooks, fulfilment endpoints, payment adapters). Every
 * hop is checked after DNS resolution, all addresses of the name, and the connection goes to the very
 * address that was checked (no second lookup, so a rebinding DNS answer cannot swap it). Redirects are
 * followed by hand, each one checked again. Timeouts and the response size are bounded.
 */
export interface OutboundPolicy {
  /** CIDRs and host names (`localhost`, `*.internal.test`) reachable despite the rules: local development and tests. */
  allow?: readonly string[];
  /** Refuse `http:` (production). */
  httpsOnly?: boolean;
  /** Default 5 s. */
  connectTimeoutMs?: number;
  /** Whole call including redirects and the body. Default 10 s. */
  totalTimeoutMs?: number;
  /** Default 1 MiB. */
  maxResponseBytes?: number;
  /** Default 3. */
  maxRedirects?: number;
  /** DNS resolution (all addresses); node:dns lookup by default. */
  resolve?: (host: string) => Promise<string[]>;
}

export interface Outbound {
  /** fetch-compatible; refusals throw `AppError('OUTBOUND_REFUSED')`, timeouts and oversize `UPSTREAM_UNAVAILABLE`. */
  fetch: typeof fetch;
  /**
   * Checks a URL a client registers (scheme, resolution, target class); a refusal is an
   * `OUTBOUND_REFUSED` (400) naming `path` in its details.
   */
  check(url: string, path?: string): Promise<void>;
}

interface Target {
  url: URL;
  host: string;
  address: string;
  family: 4 | 6;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * A signal that aborts after `ms` (or when `parent` aborts). Written with a timer rather than
 * `AbortSignal.any([parent, AbortSignal.timeout(ms)])`: on Node 20 the composite may be garbage-collected
 * with its timeout, and then the deadline never fires. The timer holds the controller; it is unref'd so
 * it never keeps a process alive on its own.
 */
function deadline(ms: number, parent?: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')),
    ms,
  );
  timer.unref?.();
  if (parent) {
    if (parent.aborted) controller.abort(parent.reason);
    else parent.addEventListener('abort', () => controller.abort(parent.reason), { once: true });
  }
  controller.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  return controller.signal;
}

/** The promise's value, or a rejection as soon as the signal aborts. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const resolveAll = async (host: string): Promise<string[]> =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

export function createOutbound(policy: OutboundPolicy = {}): Outbound {
  const allowRanges: Cidr[] = [];
  const allowHosts: string[] = [];
  for (const entry of policy.allow ?? []) {
    const range = parseCidr(entry);
    if (range) allowRanges.push(range);
    else allowHosts.push(entry.toLowerCase());
  }
  const o = {
    httpsOnly: policy.httpsOnly ?? false,
    connectTimeoutMs: policy.connectTimeoutMs ?? 5_000,
    totalTimeoutMs: policy.totalTimeoutMs ?? 10_000,
    maxResponseBytes: policy.maxResponseBytes ?? 1024 * 1024,
    maxRedirects: policy.maxRedirects ?? 3,
    resolve: policy.resolve ?? resolveAll,
  };
  const hostAllowed = (host: string) =>
    allowHosts.some((h) => (h.startsWith('*.') ? host.endsWith(h.slice(1)) : host === h));

  async function target(url: URL, path?: string, signal?: AbortSignal): Promise<Target> {
    const refuse = (message: string, expected = 'a public https URL'): never => {
      throw new AppError(
        'OUTBOUND_REFUSED',
        `outbound call refused: ${message}`,
        path ? [{ path, message, expected } satisfies ErrorDetail] : [],
      );
    };
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      refuse(`scheme ${url.protocol} is not allowed`);
    if (o.httpsOnly && url.protocol !== 'https:') refuse('only https URLs are allowed');
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (!host) refuse('the URL has no host');
    let addresses: string[];
    if (isIP(host)) addresses = [host];
    else {
      try {
        // The system resolver retries for long; the call's deadline covers the lookup too.
        addresses = await untilAborted(o.resolve(host), signal ?? deadline(o.totalTimeoutMs));
      } catch (err) {
        // A name that does not exist is the URL's fault (400); a DNS outage is ours (503, retry later).
        const code = (err as { code?: string }).code;
        if (path && (code === 'ENOTFOUND' || code === 'ENODATA'))
          refuse('the host does not resolve', 'a resolvable host name');
        throw new AppError('UPSTREAM_UNAVAILABLE', `outbound call failed: ${host} does not resolve`);
      }
    }
    const parsed = addresses.map((a) => parseIp(a)).filter((b): b is Uint8Array => b !== null);
    if (!parsed.length) refuse('the host has no address');
    if (!hostAllowed(host)) {
      // Every address must be public: a name that also resolves inside could be steered there.
      for (const ip of parsed) {
        const reason = blockedReason(ip);
        if (reason && !inAnyCidr(ip, allowRanges)) refuse(`the host resolves to ${reason}`);
      }
    }
    const pinned = parsed[0] as Uint8Array;
    return { url, host, address: formatIp(pinned), family: pinned.length === 4 ? 4 : 6 };
  }

  async function outboundFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const request = new Request(input, init);
    const signal = deadline(o.totalTimeoutMs, request.signal);
    let body: Buffer | undefined = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    let method = request.method;
    const headers = new Headers(request.headers);
    let url = new URL(request.url);
    for (let hop = 0; ; hop++) {
      const t = await target(url, undefined, signal);
      const res = await send(t, method, headers, body, signal);
      const location = res.headers.get('location');
      if (!REDIRECTS.has(res.status) || !location || request.redirect === 'manual') return res;
      if (request.redirect === 'error')
        throw new AppError('OUTBOUND_REFUSED', 'outbound call refused: redirected');
      if (hop >= o.maxRedirects)
        throw new AppError(
          'OUTBOUND_REFUSED',
          `outbound call refused: more than ${o.maxRedirects} redirects`,
        );
      const next = new URL(location, url);
      // Credentials are for the origin they were given for.
      if (next.origin !== url.origin) for (const h of ['authorization', 'cookie']) headers.delete(h);
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        for (const h of ['content-type', 'content-length']) headers.delete(h);
      }
      url = next;
    }
  }

  function send(t: Target, method: string, headers: Headers, body: Buffer | undefined, signal: AbortSignal) {
    return new Promise<Response>((resolve, reject) => {
      const https = t.url.protocol === 'https:';
      // The connection goes to the checked address, whatever DNS would answer now.
      const lookup = ((_host, opts, cb) => {
        if ((opts as { all?: boolean }).all)
          (cb as never as (e: null, a: unknown[]) => void)(null, [{ address: t.address, family: t.family }]);
        else cb(null, t.address, t.family);
      }) as LookupFunction;
      const options: RequestOptions & { servername?: string } = {
        protocol: t.url.protocol,
        hostname: t.host,
        port: t.url.port || (https ? 443 : 80),
        path: `${t.url.pathname}${t.url.search}`,
        method,
        headers: { ...Object.fromEntries(headers), host: t.url.host },
        agent: false,
        lookup,
        signal,
        ...(https && !isIP(t.host) ? { servername: t.host } : {}),
      };
      const req = (https ? httpsRequest : httpRequest)(options);
      // Once the response has begun, node reports errors on neither side reliably: settle here, once.
      let settled = false;
      const fail = (err: unknown) => {
        clearTimeout(connectTimer);
        if (!settled) {
          settled = true;
          reject(
            signal.aborted && !(err instanceof AppError)
              ? new AppError(
                  'UPSTREAM_UNAVAILABLE',
                  `outbound call failed: no answer within ${o.totalTimeoutMs} ms`,
                )
              : err,
          );
        }
        req.destroy();
      };
      const connectTimer = setTimeout(
        () =>
          fail(
            new AppError(
              'UPSTREAM_UNAVAILABLE',
              `outbound call failed: no connection within ${o.connectTimeoutMs} ms`,
            ),
          ),
        o.connectTimeoutMs,
      );
      req.on('socket', (s) => s.once(https ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer)));
      req.on('error', fail);
      req.on('response', (res: IncomingMessage) => {
        clearTimeout(connectTimer);
        const tooLarge = () =>
          new AppError(
            'UPSTREAM_UNAVAILABLE',
            `outbound call failed: response larger than ${o.maxResponseBytes} bytes`,
          );
        if (Number(res.headers['content-length'] ?? 0) > o.maxResponseBytes) return fail(tooLarge());
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > o.maxResponseBytes) fail(tooLarge());
          else chunks.push(c);
        });
        res.on('error', fail);
        res.on('aborted', () =>
          fail(new AppError('UPSTREAM_UNAVAILABLE', 'outbound call failed: connection lost')),
        );
        res.on('end', () => {
          if (settled) return;
          try {
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers))
              for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) h.append(k, one);
            const status = res.statusCode ?? 502;
            const response = new Response(NULL_BODY.has(status) ? null : Buffer.concat(chunks), {
              status,
              statusText: res.statusMessage ?? '',
              headers: h,
            });
            settled = true;
            resolve(response);
          } catch (err) {
            fail(err); // a status outside 200–599
          }
        });
      });
      req.end(body);
    });
  }

  return {
    fetch: outboundFetch as typeof fetch,
    async check(url, path = 'url') {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new AppError('VALIDATION_FAILED', 'invalid URL', [
          { path, message: 'not a URL', expected: 'a public https URL' },
        ]);
      }
      await target(parsed, path);
    },
  };
}
