import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { precompiledValidatorsSource } from '../dsl/precompile.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const VALIDATORS = 'virtual:pulse-validators';

/**
 * dsl/'s validators as code, generated at build time from schemas/ (Ajv standalone): the editor runs
 * them instead of compiling schemas in the page, so the portal's CSP needs no 'unsafe-eval'.
 */
function precompiledValidators(): Plugin {
  return {
    name: 'pulse-precompiled-validators',
    resolveId: (id) => (id === VALIDATORS ? `\0${VALIDATORS}` : undefined),
    load: (id) => (id === `\0${VALIDATORS}` ? precompiledValidatorsSource() : undefined),
  };
}

/**
 * The portal: a static single-page app the platform serves at / and /admin. The editor bundles dsl/
 * (the validator `pulse validate` runs); its few Node imports are answered by small browser shims that
 * read the bundled schemas and templates instead of the disk, and Ajv itself is replaced by a stand-in
 * that refuses to compile (only the precompiled validators run in the browser).
 */
export default defineConfig({
  root: here('./'),
  base: '/',
  plugins: [react(), precompiledValidators()],
  resolve: {
    alias: [
      { find: 'node:fs', replacement: here('./src/shims/node-fs.ts') },
      { find: 'node:path', replacement: here('./src/shims/node-path.ts') },
      { find: 'node:crypto', replacement: here('./src/shims/node-crypto.ts') },
      { find: 'node:url', replacement: here('./src/shims/node-url.ts') },
      // Exactly the packages' entry points: the precompiled code imports Ajv's runtime helpers
      // (ajv/dist/runtime/*, ajv-formats/dist/formats), which stay.
      { find: /^ajv$/, replacement: here('./src/shims/ajv.ts') },
      { find: /^ajv-formats$/, replacement: here('./src/shims/ajv-formats.ts') },
    ],
  },
  build: {
    outDir: here('./dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // Read by scripts/build-portal.ts to tell which files each page loads.
    manifest: true,
    chunkSizeWarningLimit: 2500,
    reportCompressedSize: true,
  },
  server: { fs: { allow: [here('../')] } },
});
