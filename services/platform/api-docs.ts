import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';
import { AppError } from '../../contract/errors.ts';

/**
 * `GET /openapi.json` (the document) and `GET /docs` (Swagger UI). The UI's files are served from the
 * installed swagger-ui-dist package under /docs/assets/, never from a CDN, and the page runs no inline
 * script, so it works under a strict Content-Security-Policy (which it sends).
 */

/** The files of swagger-ui-dist the page loads (nothing else of the package is served). */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  // Swagger UI sets style attributes on its elements.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Pulse API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
  // Tags start folded and the schema list hidden: with every one of ~140 operations and ~300 schemas
  // expanded at once, Swagger UI stopped rendering part-way through the first tag in Chromium.
  docExpansion: 'none',
  defaultModelsExpandDepth: -1,
});
`;

const assetDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The routes serving `spec` (built once by the caller) and its interactive page. */
export function createApiDocsRoutes(spec: Record<string, unknown>) {
  const json = JSON.stringify(spec);
  const cache = new Map<string, Buffer>();
  const secure = { 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff' };
  return new Hono()
    .get('/openapi.json', (c) =>
      c.body(json, 200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-cache' }),
    )
    .get('/docs', (c) => c.body(PAGE, 200, { 'Content-Type': 'text/html; charset=utf-8', ...secure }))
    .get('/docs/assets/init.js', (c) =>
      c.body(INIT, 200, { 'Content-Type': 'text/javascript; charset=utf-8', ...secure }),
    )
    .get('/docs/assets/:file', async (c) => {
      const file = c.req.param('file');
      const type = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
      if (!type) throw new AppError('NOT_FOUND', 'no such asset');
      const body = cache.get(file) ?? (await readFile(join(assetDir, file)));
      cache.set(file, body);
      return c.body(new Uint8Array(body), 200, {
        'Content-Type': type,
        'Cache-Control': 'public, max-age=3600',
        ...secure,
      });
    });
}
