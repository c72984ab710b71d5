import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * Production code raises typed errors: `AppError` (a request's fault, with an HTTP status) or a small
 * class with a stable `code` (`InternalError`, `ExpressionError`, ...), never a bare `Error` whose only
 * handle is its message. The SDKs ship to clients and keep their own errors.
 */
const repo = fileURLToPath(new URL('../', import.meta.url));
const PRODUCTION = ['contract', 'dsl', 'engine', 'activities', 'services', 'app'];

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sources(path, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

describe('typed errors', () => {
  it('no production file creates a bare Error', () => {
    const offenders: string[] = [];
    for (const file of PRODUCTION.flatMap((d) => sources(join(repo, d)))) {
      for (const [i, line] of readFileSync(file, 'utf8').split('\n').entries()) {
        if (/\bnew Error\(/.test(line)) offenders.push(`${relative(repo, file)}:${i + 1}: ${line.trim()}`);
      }
    }
    assert.deepEqual(offenders, []);
  });

  it('every error class of production code carries a stable code', () => {
    const missing: string[] = [];
    for (const file of PRODUCTION.flatMap((d) => sources(join(repo, d)))) {
      const text = readFileSync(file, 'utf8');
      // The class body: `{}` on one line, or up to the first closing brace at the start of a line.
      for (const m of text.matchAll(/class (\w+) extends Error \{(\}|[\s\S]*?\n\})/g)) {
        if (!/\bcode\b/.test(m[2]!)) missing.push(`${relative(repo, file)}: ${m[1]}`);
      }
    }
    assert.deepEqual(missing, []);
  });
});
