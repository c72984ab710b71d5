import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/**
 * Builds the portal (Vite) into portal/dist/ and prints each file's size, raw and gzipped, with the
 * chunk that each page loads. `--if-missing` builds only when portal/dist/ holds no build of the
 * current sources (what `npm start` and the browser tests run first).
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = join(ROOT, 'portal/dist');
const STAMP = join(OUT, '.source-hash');
/** What the bundle is made of: a change in any of them makes a new build. */
const SOURCES = [
  'portal/src',
  'portal/index.html',
  'portal/vite.config.ts',
  'dsl',
  'contract',
  'schemas',
  'campaigns',
  'app/api-client.ts',
];

function sourceHash(): string {
  const h = createHash('sha256');
  const walk = (p: string) => {
    const abs = join(ROOT, p);
    if (!existsSync(abs)) return;
    if (statSync(abs).isDirectory()) {
      for (const name of readdirSync(abs).sort())
        if (name !== '__golden__' && name !== 'fixtures' && !name.endsWith('.test.ts')) walk(join(p, name));
      return;
    }
    h.update(p).update(readFileSync(abs));
  };
  for (const s of SOURCES) walk(s);
  return h.digest('hex');
}

export interface PortalFileSize {
  file: string;
  raw: number;
  gzip: number;
}

export async function buildPortal(): Promise<PortalFileSize[]> {
  const hash = sourceHash();
  const { build } = await import('vite');
  // Vite sets NODE_ENV=production for the build; the process that asked (a test, `npm start`) keeps its own.
  const nodeEnv = process.env.NODE_ENV;
  try {
    await build({ configFile: join(ROOT, 'portal/vite.config.ts'), logLevel: 'warn' });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  await writeFile(STAMP, hash);
  const sizes: PortalFileSize[] = [];
  for (const name of (await readdir(join(OUT, 'assets'))).sort()) {
    const buf = await readFile(join(OUT, 'assets', name));
    sizes.push({ file: `assets/${name}`, raw: buf.length, gzip: gzipSync(buf, { level: 9 }).length });
  }
  await writeFile(join(OUT, 'sizes.json'), JSON.stringify(sizes, null, 2));
  return sizes;
}

/** True when portal/dist/ holds a build of the current sources. */
export function portalIsBuilt(): boolean {
  return existsSync(STAMP) && readFileSync(STAMP, 'utf8') === sourceHash();
}

/** Builds unless a build of these sources is there (tests and `npm start`). */
export async function ensurePortal(): Promise<void> {
  if (!portalIsBuilt()) await buildPortal();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--if-missing') && portalIsBuilt()) {
    console.log(`portal: ${relative(process.cwd(), OUT) || OUT} is up to date`);
  } else {
    const sizes = await buildPortal();
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    for (const s of sizes)
      console.log(`${s.file.padEnd(48)} ${kb(s.raw).padStart(11)}  gzip ${kb(s.gzip).padStart(10)}`);
    const total = sizes.reduce((a, s) => ({ raw: a.raw + s.raw, gzip: a.gzip + s.gzip }), {
      raw: 0,
      gzip: 0,
    });
    console.log(`${'total'.padEnd(48)} ${kb(total.raw).padStart(11)}  gzip ${kb(total.gzip).padStart(10)}`);
  }
}
