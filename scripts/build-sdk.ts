import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** Builds the browser SDK into dist/sdk/ and enforces the size budget of the core. */
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

export async function buildSdk(): Promise<{ file: string; raw: number; gzip: number; core: boolean }[]> {
  await mkdir(OUT, { recursive: true });
  await build({
    ...common,
    entryPoints: [`${ROOT}sdk/browser/index.ts`],
    format: 'esm',
    outfile: `${OUT}pulse.esm.js`,
  });
  await build({
    ...common,
    entryPoints: [`${ROOT}sdk/browser/iife.ts`],
    format: 'iife',
    outfile: `${OUT}pulse.iife.js`,
  });
  // The widget is its own file, fetched with import() only when a page shows it.
  await build({
    ...common,
    entryPoints: [`${ROOT}sdk/browser/widget.ts`],
    format: 'esm',
    outfile: `${OUT}pulse-widget.js`,
  });
  const files: [string, boolean][] = [
    ['pulse.esm.js', true],
    ['pulse.iife.js', true],
    ['pulse-widget.js', false],
  ];
  const sizes = [];
  for (const [file, core] of files) {
    const buf = await readFile(OUT + file);
    sizes.push({ file, raw: buf.length, gzip: gzipSync(buf, { level: 9 }).length, core });
  }
  await writeFile(`${OUT}sizes.json`, JSON.stringify(sizes, null, 2));
  return sizes;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
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
