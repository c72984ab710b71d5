import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Context, Hono } from 'hono';

/**
 * The portal's static files (built by `npm run build:portal` into PULSE_PORTAL_DIR): the client portal
 * at `/`, the platform admin at `/admin`, each page path answering the one index.html (the app routes in
 * the browser). The whole build is read into memory at start: a fixed set of files, no path from a
 * request ever reaches the disk. Hashed assets are cached for a year; index.html is revalidated.
 */
export interface PortalBundle {
  index: string;
  assets: Map<string, { body: Uint8Array; type: string; etag: string }>;
}

/** The first path segments the portal owns; everything else stays the API's (and its JSON 404). */
export const PORTAL_SECTIONS = [
  'campaigns',
  'journeys',
  'approvals',
  'rewards',
  'dashboard',
  'settings',
  'admin',
] as const;

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  woff2: 'font/woff2',
  json: 'application/json',
};

// Scripts only from the portal's own files, and no eval: the editor's JSON Schema validators are
// generated at build time (dsl/precompile.ts) instead of compiled by Ajv in the page, and Mermaid and
// ECharts evaluate no strings. Mermaid and CodeMirror set style attributes. Nothing loads from another
// origin.
export const PORTAL_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Reads a built portal; null when the folder holds no build (the routes then say how to build it). */
export async function loadPortalBundle(dir: string): Promise<PortalBundle | null> {
  const index = await readFile(join(dir, 'index.html'), 'utf8').catch(() => null);
  if (index === null) return null;
  const assets: PortalBundle['assets'] = new Map();
  const names = await readdir(join(dir, 'assets')).catch(() => [] as string[]);
  for (const name of names) {
    const type = TYPES[name.slice(name.lastIndexOf('.') + 1)];
    if (!type) continue;
    const body = new Uint8Array(await readFile(join(dir, 'assets', name)));
    assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url')}"` });
  }
  return { index, assets };
}

export interface PortalOptions {
  bundle: PortalBundle | null;
  /** The Temporal Web UI base URL, handed to the page (journey pages link to it). */
  temporalUiUrl?: string | undefined;
}

export function createPortalRoutes(opts: PortalOptions): Hono {
  const app = new Hono();
  const { bundle } = opts;
  const index = bundle
    ? bundle.index.replace(
        '</head>',
        `<meta name="pulse-temporal-ui" content="${escapeAttr(opts.temporalUiUrl ?? '')}">\n  </head>`,
      )
    : null;
  const page = (c: Context) => {
    if (!index)
      return c.text('The portal is not built here: run `npm run build:portal` (npm start builds it).', 404);
    return c.html(index, 200, {
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': PORTAL_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
    });
  };
  app.get('/', page);
  for (const section of PORTAL_SECTIONS) {
    app.get(`/${section}`, page);
    app.get(`/${section}/*`, page);
  }
  app.get('/assets/:file', (c) => {
    const file = bundle?.assets.get(c.req.param('file'));
    if (!file) return c.text('not found', 404);
    if (c.req.header('if-none-match') === file.etag) return c.body(null, 304);
    return c.body(file.body as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': file.type,
      // File names carry a content hash: a new build is new names.
      'Cache-Control': 'public, max-age=31536000, immutable',
      ETag: file.etag,
      'X-Content-Type-Options': 'nosniff',
    });
  });
  return app;
}

const escapeAttr = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
