import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * The portal: a static single-page app the platform serves at / and /admin. The editor bundles dsl/
 * (the validator `pulse validate` runs); its few Node imports are answered by small browser shims that
 * read the bundled schemas and templates instead of the disk.
 */
export default defineConfig({
  root: here('./'),
  base: '/',
  plugins: [react()],
  resolve: {
    alias: {
      'node:fs': here('./src/shims/node-fs.ts'),
      'node:path': here('./src/shims/node-path.ts'),
      'node:crypto': here('./src/shims/node-crypto.ts'),
    },
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
