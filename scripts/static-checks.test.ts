import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { REPO_ROOT } from './stack/paths.ts';

// The type checker and the linter run with the suite so that CI fails on a type error or a lint error,
// not only on a failing test.
function run(bin: string, args: string[]) {
  return spawnSync(process.execPath, [`${REPO_ROOT}node_modules/${bin}`, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
}

test('the whole repository type-checks (strict TypeScript)', () => {
  const r = run('typescript/bin/tsc', ['-p', 'tsconfig.json', '--noEmit']);
  assert.equal(r.status, 0, `tsc found errors:\n${r.stdout}${r.stderr}`);
});

test('biome finds no lint or format errors', () => {
  const r = run('@biomejs/biome/bin/biome', ['check', '.', '--diagnostic-level=error']);
  assert.equal(r.status, 0, `biome check failed:\n${r.stdout}${r.stderr}`);
});
