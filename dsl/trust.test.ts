import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Plan, Step } from '../contract/plan.ts';
import { compileCampaignSource, DEFAULT_CAMPAIGNS_DIR, loadCampaignFile } from './index.ts';

const REWARDS = `
rewards:
  bonus: { type: single, side: referee, give: { category: store_credit, amount: 5, currency: USD } }
`;
const allocate = (id: string, indent: string) =>
  `${indent}- id: ${id}\n${indent}  do: AllocateReward\n${indent}  with: { participant_id: { var: event.participant_id }, reward: bonus, side: referee }\n`;

function plan(trigger: string, steps: string, rewards = true): Plan {
  const source = `pulse: test\nid: trust-test\nversion: 1\ntitle: Trust\ntrigger: ${trigger}\n${rewards ? REWARDS : ''}steps:\n${steps}`;
  const result = compileCampaignSource(source, 'trust-test.pulse.yaml');
  assert.ok(result.plan, JSON.stringify(result.diagnostics));
  return result.plan;
}

function waitTrust(p: Plan, id: string): unknown {
  const find = (steps: Step[]): Step | undefined => {
    for (const s of steps) {
      if (s.id === id) return s;
      const lists =
        s.kind === 'if'
          ? [s.then, s.else]
          : s.kind === 'parallel'
            ? s.branches.map((b) => b.steps)
            : s.kind === 'wait'
              ? [s.then, s.onTimeout]
              : s.kind === 'repeat' || s.kind === 'for_each'
                ? [s.steps]
                : [];
      for (const l of lists) {
        const hit = find(l);
        if (hit) return hit;
      }
    }
    return undefined;
  };
  const s = find(p.steps);
  assert.ok(s?.kind === 'wait', `no wait ${id}`);
  return s.trust;
}

describe('trust requirements', () => {
  it('a money-moving trigger requires server even when nothing pays', () => {
    const p = plan('{ event: purchase_completed }', '  - { id: done, end: completed }\n', false);
    assert.equal(p.trigger.trust, 'server');
  });

  it('a trigger requires server when the journey can reach a reward step, sdk otherwise', () => {
    assert.equal(plan('{ event: user_signed_up }', allocate('pay', '  ')).trigger.trust, 'server');
    const analytics = plan(
      '{ event: user_signed_up }',
      '  - id: note\n    do: RecordWorkflowMetrics\n    with: { outcome: completed }\n',
      false,
    );
    assert.equal(analytics.trigger.trust, 'sdk');
  });

  it('a wait requires server when its continuation (then, what follows, enclosing lists) pays', () => {
    const p = plan(
      '{ event: user_signed_up }',
      `  - id: outer
    if: true
    then:
      - id: w-then
        wait: referral_shared
        timeout: 1d
        then:
${allocate('pay-then', '          ')}      - id: w-after
        wait: referral_clicked
        timeout: 1d
  - id: w-timeout-only
    wait: page_viewed
    timeout: 1d
    on_timeout:
      - { id: noop, set: { x: 1 } }
${allocate('pay-later', '  ')}  - id: w-last
    wait: widget_closed
    timeout: 1d
`,
    );
    assert.equal(waitTrust(p, 'w-then'), 'server');
    assert.equal(waitTrust(p, 'w-after'), 'server', 'pay-later follows the enclosing if');
    assert.equal(waitTrust(p, 'w-timeout-only'), 'server', 'pay-later follows the wait');
    assert.equal(waitTrust(p, 'w-last'), 'sdk', 'nothing after it pays');
    assert.deepEqual(p.waitTrust, {
      page_viewed: 'server',
      referral_clicked: 'server',
      referral_shared: 'server',
      widget_closed: 'sdk',
    });
  });

  it('a loop body pays on the next iteration; a parallel branch feeds its siblings', () => {
    const p = plan(
      '{ event: user_signed_up }',
      `  - id: loop
    repeat: 3
    max: 3
    steps:
${allocate('pay-first', '      ')}      - id: w-loop
        wait: referral_shared
        timeout: 1d
  - id: par
    parallel:
      a:
        - id: w-par
          wait: referral_clicked
          timeout: 1d
      b:
${allocate('pay-b', '        ')}  - id: w-end
    wait: widget_closed
    timeout: 1d
`,
    );
    assert.equal(waitTrust(p, 'w-loop'), 'server');
    assert.equal(waitTrust(p, 'w-par'), 'server');
    assert.equal(waitTrust(p, 'w-end'), 'sdk');
  });

  it('a declared level wins, below the default (with a warning) or above it', () => {
    const source = `pulse: test\nid: t\nversion: 1\ntitle: T\ntrigger: { event: purchase_completed, trust: sdk }\nsteps:\n  - id: w\n    wait: page_viewed\n    trust: integration\n    timeout: 1d\n`;
    const result = compileCampaignSource(source, 't.pulse.yaml');
    assert.equal(result.plan?.trigger.trust, 'sdk');
    assert.equal(waitTrust(result.plan!, 'w'), 'integration');
    assert.deepEqual(
      result.diagnostics.map((d) => [d.severity, d.code, d.path, d.line]),
      [['warning', 'TRUST_OPT_DOWN', 'trigger.trust', 5]],
    );
  });

  it('rejects a level that does not exist', () => {
    const source = `pulse: test\nid: t\nversion: 1\ntitle: T\ntrigger: { event: user_signed_up, trust: browser }\nsteps:\n  - { id: done, end: completed }\n`;
    const result = compileCampaignSource(source, 't.pulse.yaml');
    assert.equal(result.plan, undefined);
    assert.deepEqual(
      result.diagnostics.map((d) => [d.code, d.path]),
      [['SCHEMA', 'trigger.trust']],
    );
  });

  it('the nine pulses: purchases and subscriptions require server; signup opts down; shares stay sdk', () => {
    const load = (n: string) => loadCampaignFile(`${DEFAULT_CAMPAIGNS_DIR}${n}.pulse.yaml`).plan!;
    assert.equal(load('conversion').trigger.trust, 'server');
    assert.equal(load('renewal').waitTrust?.subscription_renewed, 'server');
    assert.equal(load('cross-sell').waitTrust?.subscription_upgraded, 'server');
    assert.equal(load('signup').trigger.trust, 'sdk');
    assert.equal(load('newsletter').waitTrust?.referral_shared, 'sdk');
  });
});

describe('trust through `call`', () => {
  const childrenDir = `${import.meta.dirname}/fixtures/children/`;
  const parent = (trust: string) =>
    `pulse: test\nid: p\nversion: 1\ntitle: P\ntrigger: { event: user_signed_up${trust} }\nsteps:\n  - { id: run-child, call: child }\n`;

  it('a child that pays nothing keeps the trigger at sdk, and declaring sdk is no opt-down', () => {
    const result = compileCampaignSource(parent(', trust: sdk'), 'p.pulse.yaml', {
      campaignsDir: childrenDir,
    });
    assert.deepEqual(result.diagnostics, []);
    assert.equal(result.plan?.trigger.trust, 'sdk');
    const implicit = compileCampaignSource(parent(''), 'p.pulse.yaml', { campaignsDir: childrenDir });
    assert.equal(implicit.plan?.trigger.trust, 'sdk');
  });

  it('a child that pays makes the caller require server, and an sdk declaration warns', () => {
    const source = parent(', trust: sdk').replace('call: child', 'call: paying-child');
    const result = compileCampaignSource(source, 'p.pulse.yaml', { campaignsDir: childrenDir });
    assert.deepEqual(
      result.diagnostics.map((d) => d.code),
      ['TRUST_OPT_DOWN'],
    );
    const implicit = compileCampaignSource(
      parent('').replace('call: child', 'call: paying-child'),
      'p.pulse.yaml',
      {
        campaignsDir: childrenDir,
      },
    );
    assert.equal(implicit.plan?.trigger.trust, 'server');
  });
});
