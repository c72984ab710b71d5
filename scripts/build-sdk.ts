import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { VERSION } from '../sdk/browser/pulse.ts';

/**
 * Builds the browser SDK into dist/sdk/ (or `out`, a folder path ending in /), plus manifest.json
 * naming its version, which the platform serves it under, and enforces the size budget of the core.
 * `--if-missing` builds only when dist/sdk/ holds no build of this version (what `npm start` runs first; a build takes
 * about half a second).
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = `${ROOT}dist/sdk/`;
const CORE_BUDGET_GZ = 6 * 1024;

const common = {
  bundle: true,
  minify: true,
  target: 'es2020',
  legalComments: 'none' as const,
  logLevel: 'warning' as const,
};

export async function buildSdk(
  out = OUT,
): Promise<{ file: string; raw: number; gzip: number; core: boolean }[]> {
  await mkdir(out, { recursive: true });
  await build({
    ...common,
    entryPoints: [`${ROOT}sdk/browser/index.ts`],
    format: 'esm',
    outfile: `${out}pulse.esm.js`,
  });
  await build({
    ...common,
    entryPoints: [`${ROOT}sdk/browser/iife.ts`],
    format: 'iife',
    outfile: `${out}pulse.iife.js`,
  });
  // The widget is its own file, fetched with import() only when a page shows it.
  await build({
    ...common,
    entryPoints: [`${ROOT}sdk/browser/widget.ts`],
    format: 'esm',
    outfile: `${out}pulse-widget.js`,
  });
  const files: [string, boolean][] = [
    ['pulse.esm.js', true],
    ['pulse.iife.js', true],
    ['pulse-widget.js', false],
  ];
  const sizes = [];
  for (const [file, core] of files) {
    const buf = await readFile(out + file);
    sizes.push({ file, raw: buf.length, gzip: gzipSync(buf, { level: 9 }).length, core });
  }
  await writeFile(`${out}sizes.json`, JSON.stringify(sizes, null, 2));
  // Written last: the platform serves dist/sdk/ under /sdk/v<version>/ once the manifest is there.
  await writeFile(
    `${out}manifest.json`,
    `${JSON.stringify({ version: VERSION, files: files.map(([f]) => f) }, null, 2)}\n`,
  );
  return sizes;
}

/** The version dist/sdk/ holds, if any (a build of another version is rebuilt by --if-missing). */
function builtVersion(): string | undefined {
  if (!existsSync(`${OUT}manifest.json`)) return undefined;
  return (JSON.parse(readFileSync(`${OUT}manifest.json`, 'utf8')) as { version?: string }).version;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--if-missing') && builtVersion() === VERSION) process.exit(0);
  const sizes = await buildSdk();
  const kb = (n: number) => `${(n / 1024).toFixed(2)} KB`;
  for (const s of sizes) {
    console.log(
      `${s.file.padEnd(16)} raw ${kb(s.raw).padStart(9)}   gzip ${kb(s.gzip).padStart(8)}${s.core ? '   (core)' : '   (lazy chunk)'}`,
    );
  }
  const over = sizes.filter((s) => s.core && s.gzip > CORE_BUDGET_GZ);
  if (over.length) {
    console.error(`core over the ${kb(CORE_BUDGET_GZ)} gzip budget: ${over.map((s) => s.file).join(', ')}`);
    process.exit(1);
  }
  console.log(`core within the ${kb(CORE_BUDGET_GZ)} gzip budget`);
}
