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

interface ManifestChunk {
  file: string;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}

/** What a page loads, from Vite's manifest: a chunk and its static imports (what the browser fetches together). */
export interface PortalLoadGroup {
  name: string;
  files: string[];
  raw: number;
  gzip: number;
}

async function loadGroups(sizes: PortalFileSize[]): Promise<PortalLoadGroup[]> {
  const manifest = JSON.parse(await readFile(join(OUT, '.vite/manifest.json'), 'utf8')) as Record<
    string,
    ManifestChunk
  >;
  const closure = (key: string, seen = new Set<string>()): Set<string> => {
    const chunk = manifest[key];
    if (!chunk || seen.has(key)) return seen;
    seen.add(key);
    for (const k of chunk.imports ?? []) closure(k, seen);
    return seen;
  };
  const filesOf = (keys: Set<string>) =>
    new Set([...keys].flatMap((k) => [manifest[k]?.file ?? '', ...(manifest[k]?.css ?? [])]).filter(Boolean));
  const keyOf = (suffix: string) => Object.keys(manifest).find((k) => k.endsWith(suffix)) ?? '';
  const initial = filesOf(closure('index.html'));
  const editor = filesOf(closure(keyOf('src/editor/editor-page.tsx')));
  const editorKey = keyOf('src/editor/editor-page.tsx');
  const mermaidKey =
    [...closure(editorKey)]
      .flatMap((k) => manifest[k]?.dynamicImports ?? [])
      .find((k) => k.includes('mermaid')) ?? '';
  const mermaid = filesOf(closure(mermaidKey));
  const flowchartKey =
    Object.keys(manifest).find((k) => /flowDiagram|flowchart/.test(k) && manifest[k]?.file) ?? '';
  const flowchart = filesOf(closure(flowchartKey));
  const dashboard = filesOf(closure(keyOf('src/charts/dashboard-page.tsx')));
  const size = new Map(sizes.map((s) => [s.file, s]));
  const group = (name: string, files: Set<string>, minus: Set<string>[] = []): PortalLoadGroup => {
    const own = [...files].filter((f) => !minus.some((m) => m.has(f))).sort();
    return {
      name,
      files: own,
      raw: own.reduce((n, f) => n + (size.get(f)?.raw ?? 0), 0),
      gzip: own.reduce((n, f) => n + (size.get(f)?.gzip ?? 0), 0),
    };
  };
  return [
    group('every page (app shell, React, typed client, list pages)', initial),
    group('editor page (CodeMirror, dsl/, validators, pulses)', editor, [initial]),
    group('flow view, on first draw (Mermaid core)', mermaid, [initial, editor]),
    group('flowchart renderer (Mermaid, on demand)', flowchart, [initial, editor, mermaid]),
    group('dashboard page (ECharts)', dashboard, [initial]),
  ];
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
    console.log('\nwhat each page loads (beyond the groups above it):');
    for (const g of await loadGroups(sizes))
      console.log(
        `${g.name.padEnd(60)} ${kb(g.raw).padStart(11)}  gzip ${kb(g.gzip).padStart(10)}  (${g.files.length} files)`,
      );
  }
}
