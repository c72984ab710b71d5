import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ActivityName } from '../contract/catalogue.ts';
import { formatDiagnostics, loadCampaignFile } from '../dsl/index.ts';
import { CAMPAIGNS_DIR, pulseFile, scenarios } from '../test/support/engine/pulse-scenarios.ts';
import { createTimeSkippingEnv } from '../test/support/temporal.ts';
import { quietTemporalRuntime } from './quiet-runtime.ts';
import { type SimulationTrace, simulate } from './simulate.ts';

/**
 * Every pulse in campaigns/, compiled by the DSL and run by the interpreter on the time-skipping server
 * with fake activities: triggers, follow-up events days apart, timeouts, and what each journey did.
 */
let env: TestWorkflowEnvironment;
before(async () => {
  quietTemporalRuntime();
  env = await createTimeSkippingEnv();
});
after(async () => {
  await env?.teardown();
});

async function run(pulse: string, name: string): Promise<Run> {
  const scenario = scenarios.find((s) => s.pulse === pulse && s.name === name);
  assert.ok(scenario, `scenario ${pulse}/${name}`);
  const { plan, diagnostics } = loadCampaignFile(pulseFile(pulse));
  assert.ok(plan, formatDiagnostics(diagnostics));
  return new Run(await simulate(plan, scenario.script(await env.currentTimeMs()), { env }));
}

/** Questions asked of a simulation trace. */
class Run {
  constructor(readonly trace: SimulationTrace) {}
  get journey() {
    assert.equal(this.trace.journeys.length, 1, 'exactly one journey');
    return this.trace.journeys[0]!;
  }
  get status() {
    return this.journey.outcome?.status ?? `failed: ${this.journey.failure?.message}`;
  }
  get reason() {
    return this.journey.outcome?.reason;
  }
  calls(activity: ActivityName) {
    return this.trace.activities.filter((c) => c.activity === activity && c.attempt === 1);
  }
  /** Input of the call made by `stepId` (asserts there was exactly one). */
  input(stepId: string): Record<string, unknown> {
    const found = this.trace.activities.filter((c) => c.stepId === stepId && c.attempt === 1);
    assert.equal(found.length, 1, `one call by step ${stepId}, got ${found.length}`);
    return found[0]!.input;
  }
  ran(stepId: string): boolean {
    return this.trace.activities.some((c) => c.stepId === stepId);
  }
  /** Virtual day (since the simulation start) of each call of `stepId`. */
  days(stepId: string): number[] {
    const start = Date.parse(this.trace.startedAt);
    return this.trace.activities
      .filter((c) => c.stepId === stepId && c.attempt === 1)
      .map((c) => Math.round(((Date.parse(c.scheduledAt) - start) / 86_400_000) * 100) / 100);
  }
  routes(): string[] {
    return this.trace.events.map((e) => e.routes.map((r) => r.reason ?? r.action).join(',') || 'none');
  }
}

describe('signup pulse', () => {
  it('a referred signup rewards both sides, fulfils, and sends the link, the notice and the webhook', async () => {
    const r = await run('signup', 'referred');
    assert.equal(r.status, 'completed');
    assert.deepEqual(
      r
        .calls('AllocateReward')
        .map((c) => `${c.input.participant_id}:${c.input.side}:${c.input.reward}`)
        .sort(),
      ['ada:referee:signup_bonus', 'grace:referrer:signup_bonus'],
    );
    assert.equal(r.calls('FulfillReward').length, 2);
    const welcome = r.input('welcome-email');
    assert.equal(welcome.template, 'signup-welcome');
    assert.deepEqual(
      (welcome.data as { referral_link: string }).referral_link,
      'https://pulse.test/r/REF-ADA',
    );
    assert.equal(r.input('referrer-email').participant_id, 'grace');
    assert.equal(r.input('signup-webhook').topic, 'referral.signup');
    assert.deepEqual((r.input('record-metrics').metrics as Record<string, unknown>).referrer_rewarded, true);
  });

  it('an organic signup gets a link and no rewards', async () => {
    const r = await run('signup', 'organic');
    assert.equal(r.status, 'completed');
    assert.equal(r.calls('AllocateReward').length, 0);
    assert.ok(r.ran('welcome-email'));
    assert.equal(r.ran('referrer-email'), false);
  });

  it('an ineligible new user ends the journey before any asset or reward', async () => {
    const r = await run('signup', 'ineligible');
    assert.equal(r.status, 'ineligible');
    assert.equal(r.reason, 'blocked_segment');
    assert.deepEqual(
      r.trace.activities.map((c) => c.activity),
      ['FetchCampaignConfig', 'CheckEligibility'],
    );
  });
});

describe('conversion pulse', () => {
  it('rewards both sides by order value, pays the milestone bonus, ranks, notifies; duplicates change nothing', async () => {
    const r = await run('conversion', 'tiered-with-milestone');
    assert.deepEqual(r.routes(), ['trigger condition not met', 'started', 'journey already finished']);
    assert.equal(r.status, 'completed');
    assert.equal(r.input('allocate-referrer-reward').basis_value, 180);
    assert.equal(r.input('allocate-referrer-reward').reward, 'referrer_purchase');
    assert.equal(r.input('allocate-referee-reward').reward, 'referee_purchase');
    assert.deepEqual(r.input('fulfil-milestone-bonus'), { reward_id: 'rw-milestone-5' });
    assert.deepEqual(r.input('milestone-email').data, { conversions: 5, reached: [5] });
    assert.equal(r.input('update-leaderboard').leaderboard, 'top_referrers');
    assert.ok(r.ran('referrer-email') && r.ran('referee-email') && r.ran('conversion-webhook'));
    assert.equal(r.calls('AllocateReward').length, 2, 'the redelivered purchase allocated nothing more');
  });

  it('an invalid conversion is rejected with the validator’s reason and nothing is allocated', async () => {
    const r = await run('conversion', 'invalid');
    assert.equal(r.status, 'rejected');
    assert.equal(r.reason, 'below_min_order');
    assert.equal(r.calls('AllocateReward').length, 0);
  });

  it('a blocked fraud check rejects the conversion', async () => {
    const r = await run('conversion', 'fraud');
    assert.equal(r.status, 'rejected');
    assert.equal(r.reason, 'fraud: self_referral');
    assert.equal(r.calls('CheckEligibility').length, 0);
  });
});

describe('reactivation pulse', () => {
  it('offers on every channel each attempt and rewards the return on day 12', async () => {
    const r = await run('reactivation', 'returns-after-second-offer');
    assert.equal(r.status, 'completed');
    assert.equal(r.reason, 'user came back');
    assert.deepEqual(r.days('offer-message'), [0, 0, 0, 10, 10, 10]);
    assert.deepEqual(r.days('allocate-comeback-reward'), [12]);
    assert.equal(r.input('allocate-comeback-reward').reward, 'comeback_premium');
    assert.deepEqual(r.days('record-unanswered'), [10]);
  });

  it('escalates the offer each attempt and gives up after three', async () => {
    const r = await run('reactivation', 'never-returns');
    assert.equal(r.status, 'expired');
    assert.deepEqual(
      r.calls('SendNotification').map((c) => (c.input.data as { offer: string }).offer),
      ['comeback_standard', 'comeback_enhanced', 'comeback_premium'],
    );
    assert.deepEqual(r.days('offer-message'), [0, 10, 20]);
    assert.deepEqual(r.days('record-not-reactivated'), [30]);
    assert.equal(r.calls('AllocateReward').length, 0);
  });
});

describe('renewal pulse', () => {
  it('reminds 30 and 14 days out, then applies the earned discount and the referral reward on renewal', async () => {
    const r = await run('renewal', 'renews-after-two-reminders');
    assert.equal(r.status, 'completed');
    assert.deepEqual(r.days('send-reminder'), [10, 26]);
    assert.deepEqual(
      r.calls('SendNotification').map((c) => c.input.template),
      ['renewal-reminder-30', 'renewal-reminder-14', 'renewal-thanks'],
    );
    assert.equal(r.input('allocate-renewal-discount').basis_value, 3);
    assert.equal(r.input('allocate-renewal-referral').participant_id, 'pat');
  });

  it('sends all four reminders and records the churn after the grace period', async () => {
    const r = await run('renewal', 'lapses');
    assert.equal(r.status, 'expired');
    assert.deepEqual(r.days('send-reminder'), [10, 26, 33, 37]);
    assert.deepEqual(r.days('record-churn'), [43]);
    assert.equal(r.input('churn-webhook').topic, 'renewal.lapsed');
    assert.equal(r.calls('AllocateReward').length, 0);
  });
});

describe('cross-sell pulse', () => {
  it('offers, reminds on day 7, and rewards the referred upgrade on day 9', async () => {
    const r = await run('cross-sell', 'upgrades-after-reminder');
    assert.deepEqual(r.routes(), ['trigger condition not met', 'started', 'signalled']);
    assert.equal(r.status, 'completed');
    assert.deepEqual(r.days('reminder-email'), [7]);
    assert.deepEqual(r.days('allocate-upgrade-referral'), [9]);
    assert.equal(r.input('allocate-upgrade-referral').participant_id, 'ned');
    assert.equal((r.input('record-upgrade').metrics as { plan: string }).plan, 'pro');
  });

  it('expires at the end of the offer window without an upgrade', async () => {
    const r = await run('cross-sell', 'offer-expires');
    assert.equal(r.status, 'expired');
    assert.deepEqual(r.days('record-no-upgrade'), [14]);
    assert.equal(r.ran('upgrade-thanks'), false);
  });

  it('does nothing for a low purchase intent', async () => {
    const r = await run('cross-sell', 'low-intent');
    assert.equal(r.status, 'ineligible');
    assert.equal(r.calls('AllocateReward').length, 0);
  });
});

describe('feedback pulse', () => {
  it('ignores a submission without a URL, reminds, verifies the G2 review and pays the top tier', async () => {
    const r = await run('feedback', 'review-after-reminder');
    assert.deepEqual(r.routes(), ['trigger condition not met', 'started', 'signalled', 'signalled']);
    assert.equal(r.status, 'completed');
    assert.deepEqual(r.days('review-reminder'), [7]);
    assert.deepEqual(r.days('verify-review'), [8]);
    assert.equal(r.input('allocate-review-reward').basis_value, 3);
    assert.ok(r.ran('fulfil-review-reward'));
  });

  it('an unverified review is explained and rejected', async () => {
    const r = await run('feedback', 'unverified');
    assert.equal(r.status, 'rejected');
    assert.equal(r.reason, 'review not found');
    assert.deepEqual(r.input('unverified-notice').data, { reason: 'review not found' });
    assert.equal(r.calls('AllocateReward').length, 0);
  });
});

describe('product-education pulse', () => {
  it('badges the tutorial, counts three features, celebrates milestones 1 and 3, crowns a power user', async () => {
    const r = await run('product-education', 'power-user');
    assert.equal(r.status, 'completed');
    assert.deepEqual(r.days('allocate-tutorial-badge'), [1]);
    assert.deepEqual(r.days('count-feature'), [2, 4, 20]);
    assert.deepEqual(r.days('feature-nudge'), [18]);
    assert.deepEqual(
      r.calls('FulfillReward').map((c) => c.input.reward_id),
      ['ms-1', 'ms-3'],
    );
    assert.deepEqual(r.days('milestone-message'), [2, 20]);
    assert.ok(r.ran('power-user-email'));
    assert.equal(r.input('record-learning').outcome, 'finished');
  });

  it('nudges, then stops the feature rounds when the user stalls', async () => {
    const r = await run('product-education', 'stalls');
    assert.equal(r.status, 'completed');
    assert.deepEqual(r.days('tutorial-nudge'), [7]);
    assert.deepEqual(r.days('feature-nudge'), [21]);
    assert.equal(r.input('record-learning').outcome, 'stalled');
    assert.equal(r.calls('CheckMilestone').length, 0);
  });
});

describe('switchup pulse', () => {
  it('rewards the switch, the import on day 5 and the completion on day 20', async () => {
    const r = await run('switchup', 'full-migration');
    assert.equal(r.status, 'completed');
    assert.deepEqual(
      r.calls('AllocateReward').map((c) => [c.input.reward, c.input.basis_value ?? null]),
      [
        ['switch_welcome', null],
        ['switch_progress', 1],
        ['switch_progress', 2],
      ],
    );
    assert.deepEqual(r.days('reward-import'), [5]);
    assert.deepEqual(r.days('reward-completion'), [20]);
    assert.equal(r.ran('import-nudge'), false);
  });

  it('nudges after 14 days and gives up a week later', async () => {
    const r = await run('switchup', 'abandons-before-import');
    assert.equal(r.status, 'expired');
    assert.deepEqual(r.days('import-nudge'), [14]);
    assert.deepEqual(r.input('import-abandoned').payload, { participant_id: 'beta-admin', stage: 'import' });
  });

  it('asks for proof and rejects an unverified switch', async () => {
    const r = await run('switchup', 'unverified-proof');
    assert.equal(r.status, 'rejected');
    assert.ok(r.ran('proof-needed'));
    assert.equal(r.calls('AllocateReward').length, 0);
  });
});

describe('newsletter pulse', () => {
  it('gives the ebook, rewards the referrer with a badge, and skips the reminder after a share', async () => {
    const r = await run('newsletter', 'referred-and-shares');
    assert.equal(r.status, 'completed');
    assert.equal(r.input('allocate-ebook').reward, 'welcome_ebook');
    assert.equal(r.input('allocate-friend-reward').participant_id, 'yan');
    assert.deepEqual(r.input('fulfil-badge'), { reward_id: 'badge-5' });
    assert.equal(r.ran('share-reminder'), false);
    assert.deepEqual(r.days('record-metrics'), [2]);
    assert.deepEqual(r.input('record-metrics').metrics, { referred: true, shared: true });
  });

  it('reminds to share after a week when nothing was shared', async () => {
    const r = await run('newsletter', 'no-share');
    assert.equal(r.status, 'completed');
    assert.deepEqual(r.days('share-reminder'), [7]);
    assert.equal(r.calls('AllocateReward').length, 1);
    assert.deepEqual(r.input('record-metrics').metrics, { referred: false, shared: false });
  });
});

describe('scenario coverage', () => {
  it('every pulse in campaigns/ has scenarios', () => {
    const pulses = readdirSync(CAMPAIGNS_DIR)
      .filter((f) => f.endsWith('.pulse.yaml'))
      .map((f) => f.replace('.pulse.yaml', ''));
    for (const p of pulses)
      assert.ok(
        scenarios.some((s) => s.pulse === p),
        `no scenario for ${p}`,
      );
    assert.ok(pulses.length >= 9);
  });
});
