/**
 * The built browser SDK (dist/sdk/, `npm run build:sdk`) served by the platform itself:
 *   /sdk/v<version>/<file>  immutable, cached for a year (a new SDK is a new URL)
 *   /sdk/latest/<file>      the same bytes, cached for five minutes
 * Files are read once at start into memory; a request only looks its name up in that map, so no path
 * from a URL ever reaches the file system. `GET /v1/sdk/snippet?key=pk_…` returns the embed snippet
 * pointing at the versioned URL with its Subresource Integrity hash.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Context, Hono } from 'hono';
import { AppError } from '../../contract/errors.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../platform/auth.ts';
import { optionalIdParam } from '../platform/params.ts';
import { renderEmbedSnippet } from './snippet.ts';

/** The files a page may load: the script-tag build, the module build, the lazily loaded widget. */
export const SDK_FILES = ['pulse.iife.js', 'pulse.esm.js', 'pulse-widget.js'] as const;
export type SdkFileName = (typeof SDK_FILES)[number];

export interface SdkFile {
  body: Uint8Array<ArrayBuffer>;
  /** Strong validator: the content's sha256. */
  etag: string;
  /** `sha384-<base64>` for `<script integrity>`. */
  integrity: string;
}

export interface SdkBundle {
  version: string;
  files: ReadonlyMap<SdkFileName, SdkFile>;
}

const VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]{1,40})?$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';
const LATEST = 'public, max-age=300';

/**
 * Reads the built SDK from `dir` (its manifest.json names the version); null when it is not built, so
 * the platform still starts and `/sdk/…` answers 404 until `npm run build:sdk` has run.
 */
export async function loadSdkBundle(dir: string): Promise<SdkBundle | null> {
  const manifest = await readFile(join(dir, 'manifest.json'), 'utf8').catch(() => null);
  if (manifest === null) return null;
  const version = (JSON.parse(manifest) as { version?: unknown }).version;
  if (typeof version !== 'string' || !VERSION.test(version)) return null;
  const files = new Map<SdkFileName, SdkFile>();
  for (const name of SDK_FILES) {
    const body = await readFile(join(dir, name)).catch(() => null);
    if (!body) continue;
    files.set(name, {
      body: new Uint8Array(body),
      etag: `"${createHash('sha256').update(body).digest('base64url')}"`,
      integrity: `sha384-${createHash('sha384').update(body).digest('base64')}`,
    });
  }
  return files.size ? { version, files } : null;
}

function serve(c: Context, file: SdkFile, cacheControl: string): Response {
  const headers = {
    'Content-Type': 'text/javascript; charset=utf-8',
    'Cache-Control': cacheControl,
    ETag: file.etag,
    // Loaded by clients' pages, with `integrity` (which needs CORS) or as a module.
    'Access-Control-Allow-Origin': '*',
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'X-Content-Type-Options': 'nosniff',
  };
  const match = c.req.header('if-none-match');
  if (match?.split(',').some((t) => t.trim().replace(/^W\//, '') === file.etag))
    return new Response(null, { status: 304, headers });
  return new Response(c.req.method === 'HEAD' ? null : file.body, { status: 200, headers });
}

const notFound = () => new AppError('NOT_FOUND', 'no such SDK file');

/** `/sdk/*`: the built SDK files, public. */
export function createSdkFileRoutes(bundle: SdkBundle | null) {
  return new Hono().get('/:version/:file', (c) => {
    const { version, file } = c.req.param();
    const entry = bundle?.files.get(file as SdkFileName);
    if (!bundle || !entry) throw notFound();
    if (version === 'latest') return serve(c, entry, LATEST);
    if (version === `v${bundle.version}`) return serve(c, entry, IMMUTABLE);
    throw notFound();
  });
}

/** The versioned URL of an SDK file under `publicBaseUrl`. */
export function sdkUrl(publicBaseUrl: string, bundle: SdkBundle, file: SdkFileName): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/sdk/v${bundle.version}/${file}`;
}

/**
 * `GET /v1/sdk/snippet?key=pk_…[&campaign_id=…]`: the snippet to paste into a site, for that publishable
 * key (which must be live: it authenticates the call, or, with a secret key in the header, belongs to
 * the same client).
 */
export function createSnippetRoutes(deps: {
  resolver: ApiKeyResolver;
  bundle: SdkBundle | null;
  publicBaseUrl: string;
}) {
  return new Hono<{ Variables: AuthVariables }>().get(
    '/snippet',
    authenticate(deps.resolver, { permission: 'event.send' }),
    async (c) => {
      const key = c.req.query('key');
      if (!key?.startsWith('pk_') || key.length > 200)
        throw new AppError('VALIDATION_FAILED', 'key must be a publishable key', [
          { path: 'key', message: 'required', expected: 'pk_…' },
        ]);
      const principal = c.get('principal');
      if (principal.keyKind !== 'publishable') {
        const embedded = await deps.resolver.resolve(key);
        if (embedded?.keyKind !== 'publishable' || embedded.clientId !== principal.clientId)
          throw new AppError('VALIDATION_FAILED', 'key is not a live publishable key of this client', [
            { path: 'key', message: 'unknown publishable key', expected: 'a pk_ key of this client' },
          ]);
      }
      const campaignId = optionalIdParam(c.req.query('campaign_id'), 'campaign_id');
      const iife = deps.bundle?.files.get('pulse.iife.js');
      if (!deps.bundle || !iife)
        throw new AppError('UPSTREAM_UNAVAILABLE', 'the SDK is not built on this server (npm run build:sdk)');
      const url = sdkUrl(deps.publicBaseUrl, deps.bundle, 'pulse.iife.js');
      return c.json({
        snippet: renderEmbedSnippet({
          publishableKey: key,
          endpoint: deps.publicBaseUrl.replace(/\/+$/, ''),
          sdkUrl: url,
          integrity: iife.integrity,
          ...(campaignId ? { campaignId } : {}),
        }),
        sdk_url: url,
        integrity: iife.integrity,
        version: deps.bundle.version,
      });
    },
  );
}
