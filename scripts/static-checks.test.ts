import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
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

const LAYER_FOLDERS = ['contract', 'dsl', 'engine', 'activities', 'services', 'app', 'sdk'];

function cruise(paths: string[]) {
  return run('dependency-cruiser/bin/dependency-cruise.mjs', [
    ...paths,
    '--config',
    '.dependency-cruiser.cjs',
    '--output-type',
    'err',
  ]);
}

test('production code imports only downward (ARCHITECTURE.md layers, dependency-cruiser)', () => {
  const r = cruise(LAYER_FOLDERS);
  assert.equal(r.status, 0, `layer violations:\n${r.stdout}${r.stderr}`);
});

test('an upward import fails the layer check with the rule named', () => {
  // A probe file that imports upward (contract → engine, dsl → services), checked on its own and removed.
  const probes = [
    { file: 'contract/zz-layer-probe.ts', body: "export { createRouter } from '../engine/router.ts';\n" },
    { file: 'dsl/zz-layer-probe.ts', body: "export { AppError } from '../services/platform/db.ts';\n" },
  ];
  for (const p of probes) writeFileSync(`${REPO_ROOT}${p.file}`, p.body);
  try {
    const r = cruise(probes.map((p) => p.file));
    assert.notEqual(r.status, 0, 'the probe imports passed the layer check');
    assert.match(r.stdout, /contract-is-the-floor: contract\/zz-layer-probe\.ts → engine\/router\.ts/);
    assert.match(r.stdout, /dsl-above-contract-only: dsl\/zz-layer-probe\.ts → services\/platform\/db\.ts/);
  } finally {
    for (const p of probes) rmSync(`${REPO_ROOT}${p.file}`, { force: true });
  }
});
