import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type ActivityName, catalogue } from '../../contract/catalogue.ts';
import type { Expr, Plan, Step } from '../../contract/plan.ts';
import { createAjv } from '../../contract/validation.ts';
import { DEFAULT_CAMPAIGNS_DIR, formatDiagnostics, loadCampaignFile } from '../../dsl/index.ts';
import {
  builtInAnalysisEngine,
  localeChain,
  type Rendered,
  renderSource,
  type TemplateSource,
} from './render.ts';
import { builtInEnglish } from './templates.ts';

type TemplateContent = TemplateSource & { pulse: string };
const BUILT_IN_TEMPLATES = builtInEnglish();
const BUILT_IN_TEMPLATE_SETS: Record<string, Record<string, TemplateContent>> = {};
for (const [name, t] of Object.entries(BUILT_IN_TEMPLATES)) {
  const set = BUILT_IN_TEMPLATE_SETS[t.pulse] ?? {};
  set[name] = t;
  BUILT_IN_TEMPLATE_SETS[t.pulse] = set;
}

/**
 * Keeps campaigns/ and the built-in templates in step: every template a journey can send exists, and
 * renders with exactly the data its steps pass (plus what the service and activity add). No database:
 * campaigns are compiled with the DSL and templates rendered with render.ts.
 */

type NotifyActivity = 'SendNotification' | 'RenderNotificationContent';

interface TemplateUse {
  where: string;
  activity: NotifyActivity;
  template: string;
  channel: Expr;
  /** `with.data` of the step: data key → expression. */
  data: Record<string, Expr>;
  plan: Plan;
  /** Scope variables bound by `as` of a `do` step → the activity whose result they hold. */
  outputs: ReadonlyMap<string, ActivityName>;
}

const NOTIFY: readonly string[] = ['SendNotification', 'RenderNotificationContent'];

function varPath(expr: Expr): string | undefined {
  if (expr === null || typeof expr !== 'object' || Array.isArray(expr)) return undefined;
  const keys = Object.keys(expr);
  const v = (expr as Record<string, unknown>).var;
  return keys.length === 1 && typeof v === 'string' ? v : undefined;
}

function getPath(value: unknown, path: string): unknown {
  let cur = value;
  for (const part of path ? path.split('.') : []) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** The template names a step's `template` can take: a literal, a setting, or a field of literal loop items. */
function templateNames(expr: Expr, plan: Plan, loops: ReadonlyMap<string, Expr>, where: string): string[] {
  if (typeof expr === 'string') return [expr];
  const path = varPath(expr);
  const [head = '', ...rest] = path?.split('.') ?? [];
  const items = loops.get(head);
  const names =
    head === 'settings'
      ? [getPath(plan.settings, rest.join('.'))]
      : Array.isArray(items)
        ? items.map((item) => getPath(item, rest.join('.')))
        : [];
  if (names.length && names.every((n) => typeof n === 'string')) return names as string[];
  return assert.fail(
    `${where}: cannot tell which template ${JSON.stringify(expr)} names; teach templates.test.ts this form`,
  );
}

function collectUses(plan: Plan, file: string): TemplateUse[] {
  const uses: TemplateUse[] = [];
  const outputs = new Map<string, ActivityName>();
  const visit = (steps: Step[], loops: ReadonlyMap<string, Expr>): void => {
    for (const step of steps) {
      switch (step.kind) {
        case 'do': {
          if (step.as && step.activity in catalogue) outputs.set(step.as, step.activity as ActivityName);
          if (!NOTIFY.includes(step.activity)) break;
          const where = `${file} step ${step.id}`;
          const data = (step.with.data ?? {}) as Record<string, Expr>;
          for (const template of templateNames(step.with.template, plan, loops, where))
            uses.push({
              where,
              activity: step.activity as NotifyActivity,
              template,
              channel: step.with.channel,
              data,
              plan,
              outputs,
            });
          break;
        }
        case 'if':
          visit(step.then, loops);
          visit(step.else, loops);
          break;
        case 'switch':
          for (const c of step.cases) visit(c.steps, loops);
          visit(step.default, loops);
          break;
        case 'parallel':
          for (const b of step.branches) visit(b.steps, loops);
          break;
        case 'wait':
          visit(step.then, loops);
          visit(step.onTimeout, loops);
          break;
        case 'approval':
          visit(step.then, loops);
          visit(step.onReject, loops);
          visit(step.onTimeout, loops);
          break;
        case 'repeat':
          visit(step.steps, loops);
          break;
        case 'for_each':
          visit(step.steps, new Map(loops).set(step.as, step.items));
          break;
        case 'try':
          visit(step.steps, loops);
          for (const c of step.catch) visit(c.steps, loops);
          visit(step.finally ?? [], loops);
          break;
        case 'sleep':
        case 'set':
        case 'emit':
        case 'call':
        case 'end':
        case 'raise':
          break;
        default: {
          const unknown: never = step;
          assert.fail(`unknown step kind in ${file}: ${JSON.stringify(unknown)}`);
        }
      }
    }
  };
  visit(plan.steps, new Map());
  for (const child of Object.values(plan.children)) uses.push(...collectUses(child, `${file} → ${child.id}`));
  return uses;
}

const campaignFiles = readdirSync(DEFAULT_CAMPAIGNS_DIR)
  .filter((f) => f.endsWith('.pulse.yaml'))
  .sort();
const uses: TemplateUse[] = campaignFiles.flatMap((f) => {
  const { plan, diagnostics } = loadCampaignFile(join(DEFAULT_CAMPAIGNS_DIR, f));
  if (!plan) return assert.fail(`campaigns/${f} does not compile:\n${formatDiagnostics(diagnostics)}`);
  return collectUses(plan, `campaigns/${f}`);
});
const usesByTemplate = new Map<string, TemplateUse[]>();
for (const use of uses) usesByTemplate.set(use.template, [...(usesByTemplate.get(use.template) ?? []), use]);

// ---- sample data ------------------------------------------------------------------------------------

/** Results of the activities whose outputs journeys pass to templates; checked against the catalogue. */
const OUTPUT_SAMPLES: Partial<Record<ActivityName, Record<string, unknown>>> = {
  AllocateReward: {
    allocated: true,
    reward_id: 'rwd_7Kq2Xb',
    state: 'FULFILLED',
    category: 'store_credit',
    amount: 20,
    currency: 'USD',
    reason: 'friend signed up',
    segment: null,
    fulfilment: 'auto',
    label: '$20.00 store credit',
  },
  GenerateReferralAssets: { code: 'ANNA2345', link: 'https://acme.test/r/cli_acme/ANNA2345' },
  CheckMilestone: { count: 5, reached: [5], reward_ids: ['rwd_m5'] },
  CalculateLeaderboard: { standings: [], rank: 3, changed: true, period: '2025-06', final: false },
  VerifySubmission: { verified: false, reason: 'missing_rating', tier: null },
  ScoreParticipant: { score: 22, level: 'low', signals: { features_adopted: 1, features_total: 9 } },
};

/** Values that come from events, `set` variables and expressions, by the data key they are passed as. */
const VALUE_SAMPLES: Record<string, unknown> = {
  feature: 'Advanced reports',
  features: ['Dashboards', 'Automations'],
  plan: 'Business',
  offer_ends_at: '2025-07-14T09:00:00.000Z',
  platform: 'g2',
  deadline: '2025-07-14T09:00:00.000Z',
  offer: 'comeback_enhanced',
  attempt: 2,
  expires_at: '2025-07-10T09:00:00.000Z',
  renews_at: '2025-08-01',
  offer_level: 2,
  competitor: 'Acme CRM',
  records: 12500,
};

/** Output sample reduced to what the activity's schema guarantees (its `required` fields). */
function guaranteed(activity: ActivityName): Record<string, unknown> | undefined {
  const sample = OUTPUT_SAMPLES[activity];
  const output: { required?: readonly string[] } = catalogue[activity].output;
  const required = output.required ?? [];
  return sample && Object.fromEntries(Object.entries(sample).filter(([k]) => required.includes(k)));
}

/** A plausible value for `data.<key>`: from a setting, an activity result, or VALUE_SAMPLES. */
function sampleValue(use: TemplateUse, key: string, mode: 'full' | 'guaranteed'): unknown {
  const expr = use.data[key];
  const [head = '', ...rest] = varPath(expr)?.split('.') ?? [];
  if (head === 'settings') return getPath(use.plan.settings, rest.join('.'));
  const activity = use.outputs.get(head);
  if (activity && OUTPUT_SAMPLES[activity])
    return getPath(mode === 'full' ? OUTPUT_SAMPLES[activity] : guaranteed(activity), rest.join('.'));
  if (typeof expr !== 'object' || expr === null) return expr; // a literal
  if (Object.hasOwn(VALUE_SAMPLES, key)) return VALUE_SAMPLES[key];
  return assert.fail(
    `${use.where}: no sample for data.${key} of "${use.template}"; add one to VALUE_SAMPLES`,
  );
}

/** What the service (participant) and the SendNotification activity (campaign) add to the step's data. */
function added(use: TemplateUse, participant: Record<string, unknown>): Record<string, unknown> {
  return use.activity === 'SendNotification'
    ? { participant, campaign: { id: 'cmp_01JX', pulse: use.plan.pulse } }
    : {};
}

const ANN = { id: 'user_ann', name: 'Ann', email: 'ann@example.test' };

function fullData(use: TemplateUse): Record<string, unknown> {
  const data = Object.fromEntries(Object.keys(use.data).map((k) => [k, sampleValue(use, k, 'full')]));
  return { ...data, ...added(use, ANN) };
}

/** The root variables a template reads (liquid AST analysis, loop variables excluded). */
function rootsOf(t: TemplateContent): string[] {
  const parts = [t.subject, t.text, t.html, t.inapp, t.sms].filter((p) => p !== undefined);
  return [
    ...new Set(
      parts.flatMap((p) => builtInAnalysisEngine.globalVariablesSync(builtInAnalysisEngine.parse(p ?? ''))),
    ),
  ];
}

/** What a reader sees of a part: HTML tags (and their CSS) removed. */
const visible = (part: string) => part.replace(/<[^>]*>/g, ' ');

function renderAll(t: TemplateContent, data: Record<string, unknown>, locale = 'en'): Promise<Rendered> {
  return renderSource('built-in', t, data, { locale, builtIn: true });
}

/** Words a template must never show: a fallback that reads as a placeholder, or a value printed raw. */
const PLACEHOLDER_COPY =
  /\bnone\b|undefined|\bnull\b|\[object Object\]|\bNaN\b|\{\{|\}\}|\{%|%\}|on this signup/i;

function builtIn(name: string): TemplateContent {
  return BUILT_IN_TEMPLATES[name] ?? assert.fail(`no built-in template "${name}"`);
}

// ---- tests ------------------------------------------------------------------------------------------

describe('built-in templates for the campaigns', () => {
  it('finds the notification steps of every campaign', () => {
    assert.ok(campaignFiles.length >= 9, `campaign files: ${campaignFiles.join(', ')}`);
    assert.ok(uses.length >= campaignFiles.length, `${uses.length} notification steps found`);
  });

  it('keeps in templates/<pulse>.ts only templates that pulse sends', () => {
    for (const [pulse, set] of Object.entries(BUILT_IN_TEMPLATE_SETS)) {
      if (pulse === 'generic') continue;
      const sent = new Set(uses.filter((u) => u.plan.pulse === pulse).map((u) => u.template));
      const unused = Object.keys(set).filter((name) => !sent.has(name));
      assert.deepEqual(unused, [], `${pulse}: templates no ${pulse} campaign sends (renamed in the YAML?)`);
    }
  });

  it('has a built-in template for every template a campaign names, each name defined once', () => {
    const missing = [...usesByTemplate.keys()]
      .filter((name) => !Object.hasOwn(BUILT_IN_TEMPLATES, name))
      .map((name) => `${name} (${usesByTemplate.get(name)?.[0]?.where})`);
    assert.deepEqual(missing, [], 'write these in services/notification/templates/<pulse>.ts');
    const defined = Object.values(BUILT_IN_TEMPLATE_SETS).flatMap((set) => Object.keys(set));
    assert.equal(new Set(defined).size, defined.length, 'a template name is defined in two sets');
  });

  it('samples of activity results match the activity catalogue', () => {
    const ajv = createAjv();
    for (const [name, sample] of Object.entries(OUTPUT_SAMPLES)) {
      const validate = ajv.compile(catalogue[name as ActivityName].output);
      assert.ok(validate(sample), `${name}: ${ajv.errorsText(validate.errors)}`);
    }
  });

  it('renders each template with the data its steps pass, reading only data some campaign passes', async () => {
    for (const use of uses) {
      const t = builtIn(use.template);
      const data = fullData(use);
      const out = await renderAll(t, data).catch((err: Error) =>
        assert.fail(
          `${use.where}: "${use.template}" does not render with the data the step passes: ${err.message}`,
        ),
      );
      for (const part of Object.values(out))
        assert.doesNotMatch(visible(part), PLACEHOLDER_COPY, `${use.template}: placeholder copy in ${part}`);
      assert.doesNotMatch(visible(out.text), /\d{4}-\d{2}-\d{2}T/, `${use.template}: a raw ISO date`);
      assert.doesNotMatch(out.subject, /\n/, `${use.template}: subject on one line`);
      assert.ok(out.subject.length <= 90, `${use.template}: subject too long for an inbox: ${out.subject}`);
      const passedSomewhere = new Set([
        'participant',
        'campaign',
        ...(usesByTemplate.get(use.template) ?? []).flatMap((u) => Object.keys(u.data)),
      ]);
      for (const root of rootsOf(t))
        assert.ok(passedSomewhere.has(root), `${use.template}: {{ ${root} }} names data no campaign passes`);
    }
  });

  it('renders each template when only the values its steps always provide are there', async () => {
    for (const [name, list] of usesByTemplate) {
      const always = Object.keys(list[0]?.data ?? {}).filter((k) =>
        list.every((u) => Object.hasOwn(u.data, k)),
      );
      for (const use of list) {
        const data = Object.fromEntries(always.map((k) => [k, sampleValue(use, k, 'guaranteed')]));
        const sparse = { ...data, ...added(use, { id: ANN.id }) };
        const out = await renderAll(builtIn(name), sparse).catch((err: Error) =>
          assert.fail(`${use.where}: "${name}" reads a value that may be absent: ${err.message}`),
        );
        for (const part of Object.values(out))
          assert.doesNotMatch(visible(part), PLACEHOLDER_COPY, `${use.where}: placeholder copy in "${name}"`);
      }
    }
  });

  it('gives every template sent by email an HTML version', () => {
    for (const use of uses) {
      const maybeEmail =
        use.channel === undefined || use.channel === 'email' || typeof use.channel === 'object';
      if (use.activity === 'SendNotification' && maybeEmail)
        assert.ok(
          builtIn(use.template).html,
          `${use.template} is sent by email (${use.where}) but has no html`,
        );
    }
  });

  it('escapes values in HTML bodies, not in text', async () => {
    const t = builtIn('signup-welcome');
    const out = await renderAll(t, {
      participant: { id: 'p1', name: '<script>alert("hi")</script>' },
      referral_link: 'https://acme.test/r?a=1&b="2"',
      referral_code: 'ANNA2345',
    });
    assert.ok(!out.html?.includes('<script>'));
    assert.ok(
      out.html?.includes('Hi &lt;script&gt;alert(&#34;hi&#34;)&lt;/script&gt;,'),
      out.html ?? 'no html',
    );
    assert.ok(out.html?.includes('href="https://acme.test/r?a=1&amp;b=&#34;2&#34;"'), out.html ?? 'no html');
    assert.ok(out.text.includes('Hi <script>alert("hi")</script>,'));
    // Without a referral reward, the welcome says nothing about one (no "none on this signup").
    assert.doesNotMatch(out.text, /welcome reward/);
    // Every string becomes markup, except dates (date_local refuses a value that is not a date).
    const hostile = (v: unknown): unknown =>
      typeof v === 'string' && !/^\d{4}-\d{2}-\d{2}/.test(v)
        ? '<b>"x"</b>'
        : Array.isArray(v)
          ? v.map(hostile)
          : v && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, hostile(x)]))
            : v;
    for (const use of uses) {
      const tpl = builtIn(use.template);
      if (tpl.html) {
        const r = await renderAll(tpl, hostile(fullData(use)) as Record<string, unknown>);
        assert.ok(!r.html?.includes('<b>'), use.template);
      }
    }
  });

  it('asks for honest reviews and never ties the feedback reward to a good rating', () => {
    const feedback = Object.values(BUILT_IN_TEMPLATE_SETS.feedback ?? {});
    assert.ok(feedback.length > 0);
    for (const t of feedback) {
      const copy = [t.subject, t.text ?? t.inapp].join('\n');
      assert.doesNotMatch(
        copy,
        /\b(5|five)[- ]stars?\b|positive review|good review|great review|high rating|rate us/i,
      );
      assert.match(copy, /honest|whatever the rating|any rating/i);
    }
  });
});

describe('liquid rendering', () => {
  const opts = { locale: 'en', builtIn: false };
  it('fails on an undefined variable or filter (strict)', async () => {
    await assert.rejects(renderSource('t', { subject: '{{ nope }}', text: '' }, {}, opts), /needs values/);
    await assert.rejects(
      renderSource('t', { subject: '{{ 1 | evil }}', text: '' }, {}, opts),
      /cannot be rendered/,
    );
  });

  it('gives client templates no file access', async () => {
    await assert.rejects(
      renderSource('t', { subject: 'x', text: '{% include "/etc/passwd" %}' }, {}, opts),
      (err: Error) => !err.message.includes('root:'),
    );
    await assert.rejects(renderSource('t', { subject: 'x', text: '{% layout "layout.html" %}x' }, {}, opts));
  });

  it('stops a runaway template', async () => {
    const loop = '{% for i in (1..100000000) %}{% for j in (1..100000000) %}x{% endfor %}{% endfor %}';
    await assert.rejects(renderSource('t', { subject: 'x', text: loop }, {}, opts), /cannot be rendered/);
  });

  it('formats money and dates for the locale', async () => {
    const src = { subject: 's', text: '{{ amount | money: currency }} / {{ at | date_local: "long" }}' };
    const data = { amount: 1234.5, currency: 'EUR', at: '2025-07-14T09:00:00Z' };
    const us = await renderSource('t', src, data, { ...opts, locale: 'en-US' });
    const de = await renderSource('t', src, data, { ...opts, locale: 'de-DE' });
    assert.equal(us.text, '€1,234.50 / July 14, 2025');
    assert.equal(de.text.replace(/\s/g, ' '), '1.234,50 € / 14. Juli 2025');
    await assert.rejects(renderSource('t', src, { ...data, currency: 'XX' }, opts), /money/);
  });

  it('falls back fr-CA → fr → campaign default → en', () => {
    assert.deepEqual(localeChain('fr-CA', 'de'), ['fr-CA', 'fr', 'de', 'en']);
    assert.deepEqual(localeChain(undefined, undefined), ['en']);
    assert.deepEqual(localeChain('not a locale!', 'en-GB'), ['en-GB', 'en']);
  });
});
