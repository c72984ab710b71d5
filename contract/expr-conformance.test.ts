import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { createRuleEngine } from '../services/platform/rules/compile.ts';
import { evaluate } from './expr.ts';
import { EXCLUDED } from './expr-conformance.exclusions.ts';
import { LogicThrow } from './expr-jsonlogic2.ts';

/**
 * JSON Logic conformance: the public suites (the classic jsonlogic.com tests.json, the json-logic/
 * compat-tables suites, json-logic/.github tests) run through both of Pulse's evaluators — contract/expr.ts
 * (json-logic-js plus our operators, inside the Temporal workflow) and services/platform/rules/ (the
 * compiled one the services use). Every case must pass on both unless expr-conformance.exclusions.ts
 * lists it with a reason, every listed case must really fail (so the list cannot go stale), and the two
 * evaluators must agree on every case, listed or not.
 *
 * The suites are not copied into the project: they are read from `<repo>/../shared/conformance/jsonlogic/`
 * or from the folder named by PULSE_JSONLOGIC_SUITES, and the test skips, saying so, when that is absent.
 */

const repo = fileURLToPath(new URL('../', import.meta.url));
const SUITES = resolve(
  process.env.PULSE_JSONLOGIC_SUITES ?? join(repo, '..', 'shared', 'conformance', 'jsonlogic'),
);

interface Case {
  description: string;
  rule: unknown;
  data: unknown;
  result?: unknown;
  error?: { type?: unknown };
}

/** Suite files relative to SUITES, in a stable order. */
function suiteFiles(): string[] {
  const files: string[] = [];
  if (existsSync(join(SUITES, 'classic', 'tests.json'))) files.push('classic/tests.json');
  const github = join(SUITES, 'json-logic-github', 'tests');
  if (existsSync(github))
    for (const f of readdirSync(github).sort())
      if (f.endsWith('.json')) files.push(`json-logic-github/tests/${f}`);
  const index = join(SUITES, 'compat-tables', 'suites', 'index.json');
  if (existsSync(index))
    for (const f of JSON.parse(readFileSync(index, 'utf8')) as string[])
      files.push(`compat-tables/suites/${f}`);
  return files;
}

/** A file's cases; strings are section headers; classic cases are `[rule, data, expected]`. */
function loadCases(file: string): Case[] {
  const raw = JSON.parse(readFileSync(join(SUITES, file), 'utf8')) as unknown[];
  const cases: Case[] = [];
  const seen = new Map<string, number>();
  for (const entry of raw) {
    if (typeof entry === 'string') continue;
    let c: Case;
    if (Array.isArray(entry)) {
      c = { description: JSON.stringify(entry[0]), rule: entry[0], data: entry[1], result: entry[2] };
    } else {
      const o = entry as Case;
      c = { ...o, data: o.data ?? null };
    }
    // Descriptions repeat in a few files: the second one is named "… #2".
    const n = (seen.get(c.description) ?? 0) + 1;
    seen.set(c.description, n);
    if (n > 1) c.description = `${c.description} #${n}`;
    cases.push(c);
  }
  return cases;
}

/** JSON equality: as isDeepStrictEqual, except that 0 and -0 are the same number (JSON has one zero). */
function same(a: unknown, b: unknown): boolean {
  if (a === 0 && b === 0) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (
    a !== null &&
    b !== null &&
    typeof a === 'object' &&
    typeof b === 'object' &&
    !Array.isArray(a) &&
    !Array.isArray(b)
  ) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every((k) => Object.hasOwn(b, k) && same((a as never)[k], (b as never)[k]))
    );
  }
  return isDeepStrictEqual(a, b);
}

type Outcome = { value: unknown } | { error: unknown; type?: unknown };

function outcome(run: () => unknown): Outcome {
  try {
    return { value: run() };
  } catch (error) {
    const type = error instanceof LogicThrow ? error.type : (error as { type?: unknown }).type;
    return type === undefined ? { error } : { error, type };
  }
}

/**
 * Whether an outcome meets a case. A raised error must carry the expected type when it is a logic error
 * (`throw`/`try`); any other failure stands for JSON Logic 2's "Invalid Arguments" only.
 */
function meets(c: Case, o: Outcome): boolean {
  if (c.error === undefined) return 'value' in o && same(o.value, c.result);
  if (!('error' in o)) return false;
  if ('type' in o) return same(o.type, c.error.type);
  return c.error.type === 'Invalid Arguments';
}

function agree(a: Outcome, b: Outcome): boolean {
  if ('value' in a && 'value' in b) return same(a.value, b.value);
  if ('error' in a && 'error' in b) return same(a.type, b.type);
  return false;
}

const show = (o: Outcome): string =>
  'value' in o ? `value ${JSON.stringify(o.value)}` : `error ${JSON.stringify(o.type ?? String(o.error))}`;

const files = existsSync(SUITES) ? suiteFiles() : [];
const skip =
  files.length === 0
    ? `JSON Logic suites not found at ${SUITES}: set PULSE_JSONLOGIC_SUITES to the folder holding classic/, compat-tables/ and json-logic-github/`
    : false;

describe('JSON Logic conformance (contract/expr.ts and services/platform/rules)', { skip }, () => {
  const rules = createRuleEngine();
  const totals = { cases: 0, passed: 0, excluded: 0 };

  for (const file of files) {
    it(file, (t) => {
      const cases = loadCases(file);
      const excluded = new Set<string>();
      for (const group of EXCLUDED[file] ?? []) for (const d of group.cases) excluded.add(d);
      const unexpected: string[] = [];
      const stale: string[] = [];
      const disagreements: string[] = [];
      for (const c of cases) {
        const workflow = outcome(() => evaluate(c.rule, c.data as Record<string, unknown>));
        const service = outcome(() => rules.evaluate(c.rule, c.data));
        if (!agree(workflow, service))
          disagreements.push(`${c.description}: expr.ts ${show(workflow)}, rules ${show(service)}`);
        const ok = meets(c, workflow) && meets(c, service);
        if (excluded.has(c.description)) {
          if (ok) stale.push(c.description);
          excluded.delete(c.description);
        } else if (!ok) {
          const want = c.error
            ? `error ${JSON.stringify(c.error.type)}`
            : `value ${JSON.stringify(c.result)}`;
          unexpected.push(`${c.description} ${JSON.stringify(c.rule)}: want ${want}, got ${show(workflow)}`);
        }
      }
      const listed = (EXCLUDED[file] ?? []).reduce((n, g) => n + g.cases.length, 0);
      totals.cases += cases.length;
      totals.excluded += listed;
      totals.passed += cases.length - listed;
      t.diagnostic(`${file}: ${cases.length - listed} passed, ${listed} excluded of ${cases.length}`);
      assert.deepEqual(disagreements, [], 'the two evaluators disagree');
      assert.deepEqual(unexpected, [], 'cases failing that the exclusion list does not name');
      assert.deepEqual(stale, [], 'excluded cases that now pass: remove them from the list');
      assert.deepEqual([...excluded], [], 'excluded cases the suite no longer has');
    });
  }

  it('reads every case of the suites', (t) => {
    t.diagnostic(`total: ${totals.passed} passed, ${totals.excluded} excluded of ${totals.cases}`);
    assert.ok(totals.cases >= 1000, `only ${totals.cases} cases found under ${SUITES}`);
  });
});
