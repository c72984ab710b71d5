import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Plan, Step, StepsByKind } from './plan.ts';
import { PLAN_VERSION } from './plan.ts';
import { readSchema, toErrorDetails, validatorFor } from './validation.ts';

const golden = new URL('../dsl/__golden__/', import.meta.url);
const histories = new URL('../test/histories/', import.meta.url);

const goldenPlans = (): [string, Plan][] =>
  readdirSync(golden)
    .filter((f) => f.endsWith('.plan.json'))
    .map((f) => [f, JSON.parse(readFileSync(new URL(f, golden), 'utf8')) as Plan]);

/** The plan each recorded workflow history was started with (what Temporal stored as the input). */
function recordedPlans(): [string, Plan][] {
  return readdirSync(histories)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const recorded = JSON.parse(readFileSync(new URL(f, histories), 'utf8')) as {
        history: {
          events: { workflowExecutionStartedEventAttributes?: { input: { payloads: { data: string }[] } } }[];
        };
      };
      const started = recorded.history.events[0]!.workflowExecutionStartedEventAttributes!;
      const input = JSON.parse(Buffer.from(started.input.payloads[0]!.data, 'base64').toString('utf8'));
      return [f, (input as { plan: Plan }).plan];
    });
}

const validatePlan = () => validatorFor<Plan>('plan.schema.json#/$defs/plan');

function errorsOf(value: unknown): string[] {
  const validate = validatePlan();
  return validate(value) ? [] : toErrorDetails(validate.errors).map((d) => `${d.path}: ${d.message}`);
}

const clone = <T>(v: T): T => structuredClone(v);

describe('schemas/plan.schema.json describes the compiled plan', () => {
  it('declares the plan version the code knows (PLAN_VERSION)', () => {
    const defs = readSchema('plan.schema.json').$defs as Record<
      string,
      { properties: Record<string, unknown> }
    >;
    assert.deepEqual(defs.plan!.properties.planVersion, { type: 'integer', const: PLAN_VERSION });
    const version: Plan['planVersion'] = PLAN_VERSION;
    assert.equal(version, 1);
  });

  it('every golden plan (dsl/__golden__) validates through the shared registry', () => {
    const plans = goldenPlans();
    assert.ok(plans.length >= 9, `golden plans: ${plans.length}`);
    for (const [file, plan] of plans) assert.deepEqual(errorsOf(plan), [], file);
  });

  it('every plan a recorded workflow history started with validates (the engine runs these)', () => {
    const plans = recordedPlans();
    assert.ok(plans.length > 0, 'no recorded histories');
    for (const [file, plan] of plans) assert.deepEqual(errorsOf(plan), [], file);
  });

  it('refuses what is not a plan, naming the field', () => {
    const [, base] = goldenPlans().find(([f]) => f === 'signup.plan.json')!;
    assert.ok(base.steps.length > 0);

    const wrongVersion = { ...clone(base), planVersion: PLAN_VERSION + 1 };
    assert.ok(errorsOf(wrongVersion).some((e) => e.startsWith('planVersion:')));

    const { hash: _hash, ...noHash } = clone(base);
    assert.ok(errorsOf(noHash).some((e) => e.startsWith('hash:')));

    const unknownKind = clone(base);
    (unknownKind.steps[0] as unknown as Record<string, unknown>).kind = 'teleport';
    assert.ok(errorsOf(unknownKind).some((e) => e.startsWith('steps.0')));

    const extra = clone(base);
    (extra.steps[0] as unknown as Record<string, unknown>).colour = 'red';
    assert.ok(errorsOf(extra).some((e) => e.startsWith('steps.0')));

    const badTrust = clone(base);
    badTrust.trigger.trust = 'admin' as Plan['trigger']['trust'];
    assert.ok(errorsOf(badTrust).some((e) => e.startsWith('trigger.trust')));
  });

  it('checks nested steps and inlined child plans with the same rules', () => {
    const withChild = recordedPlans().find(([, p]) => Object.keys(p.children).length > 0);
    assert.ok(withChild, 'a recorded plan with a child plan');
    assert.deepEqual(errorsOf(withChild[1]), []);
    const plan = clone(withChild[1]);
    const childId = Object.keys(plan.children)[0]!;
    (plan.children[childId] as unknown as Record<string, unknown>).steps = [{ id: 'x', kind: 'end' }];
    assert.ok(errorsOf(plan).some((e) => e.startsWith(`children.${childId}.steps.0`)));

    const nested = clone(goldenPlans()[0]![1]);
    // An `if` whose nested sleep carries an unknown field (JSON: a `then` key is a thenable to the linter).
    const deep = JSON.parse(
      '{"id":"outer","kind":"if","cond":true,"then":[{"id":"inner","kind":"sleep","durationMs":1000,"bogus":1}],"else":[]}',
    ) as Step;
    nested.steps = [deep];
    assert.ok(errorsOf(nested).some((e) => e.startsWith('steps.0')));
  });

  it('lists each step kind once: StepsByKind and the step union name the same definitions', () => {
    const defs = readSchema('plan.schema.json').$defs as Record<string, Record<string, unknown>>;
    const byKind = defs.stepsByKind!.properties as Record<string, { $ref: string }>;
    const union = (defs.step!.oneOf as { $ref: string }[]).map((r) => r.$ref);
    assert.deepEqual(
      Object.values(byKind).map((r) => r.$ref),
      union,
    );
    for (const [kind, { $ref }] of Object.entries(byKind)) {
      const def = defs[$ref.replace('#/$defs/', '')]!;
      const props = def.properties as Record<string, { const?: string }>;
      assert.equal(props.kind!.const, kind, $ref);
    }
    // Compile-time: the generated map and union agree (this file does not compile otherwise).
    const sameUnion: StepsByKind[keyof StepsByKind] extends Step
      ? Step extends StepsByKind[keyof StepsByKind]
        ? true
        : false
      : false = true;
    assert.equal(sameUnion, true);
  });

  it('the engine refuses nothing new: no production code validates plans or journey inputs against it', () => {
    const roots = ['engine', 'activities', 'services', 'app'];
    const offenders: string[] = [];
    const walk = (dir: URL, rel: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(new URL(`${entry.name}/`, dir), `${rel}${entry.name}/`);
        else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
          const text = readFileSync(new URL(entry.name, dir), 'utf8');
          if (text.includes('plan.schema.json')) offenders.push(`${rel}${entry.name}`);
        }
      }
    };
    for (const r of roots) walk(new URL(`../${r}/`, import.meta.url), `${r}/`);
    assert.deepEqual(offenders, []);
  });
});
