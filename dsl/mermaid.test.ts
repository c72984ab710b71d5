import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileCampaignSource, DEFAULT_CAMPAIGNS_DIR, loadCampaignFile, toMermaid } from './index.ts';

const SOURCE = `pulse: test
id: diagram
version: 1
title: Diagram
trigger: { event: [user_signed_up, user_logged_in] }
steps:
  - id: score
    do: ScoreParticipant
    with: { participant_id: p1, model: churn_risk }
    as: risk
  - id: by-risk
    switch: { var: risk.level }
    cases:
      high: [{ id: premium, set: { offer: 3 } }]
    default: [{ id: standard, set: { offer: 1 } }]
  - id: both
    parallel:
      email: [{ id: mail, do: SendNotification, with: { participant_id: p1, template: "say \\"hi\\"" } }]
      hook: [{ id: hook, do: SendWebhook, with: { topic: t }, optional: true, as: hooked }]
  - id: tries
    repeat: 2
    max: 2
    steps:
      - id: wait-return
        wait: user_reactivated
        timeout: 7d
        on_timeout: [{ id: gave-up, end: expired }]
  - id: pause
    sleep: { until: { date_add: [{ var: now }, 1d] } }
  - id: done
    end: completed
`;

describe('toMermaid', () => {
  const plan = compileCampaignSource(SOURCE, 'diagram.pulse.yaml').plan!;
  const chart = toMermaid(plan);

  it('draws a flowchart from the trigger through every step', () => {
    assert.ok(chart.startsWith('flowchart TD\n'));
    assert.match(chart, /s_start\(\["trigger: user_signed_up \| user_logged_in"\]\)/);
    assert.match(chart, /s_score\["score<br\/>ScoreParticipant"\]/);
    assert.match(chart, /s_by_risk\{"by-risk"\}/);
    assert.match(chart, /s_by_risk -->\|"high"\| s_premium/);
    assert.match(chart, /s_by_risk -->\|"default"\| s_standard/);
    assert.match(chart, /s_hook\["hook<br\/>SendWebhook \(optional\)"\]/);
    assert.match(chart, /s_wait_return\{\{"wait-return<br\/>wait for user_reactivated \(up to 7d\)"\}\}/);
    assert.match(chart, /s_wait_return -->\|"timeout"\| s_gave_up/);
    assert.match(chart, /s_tries\[\["tries<br\/>repeat 2× \(max 2\)"\]\]/);
    assert.match(chart, /s_wait_return -\.->\|"event"\| s_tries/);
    assert.match(chart, /s_tries -->\|"done"\| s_pause/);
    assert.match(chart, /s_done\(\["end: completed"\]\)/);
  });

  it('joins parallel branches and escapes quotes in labels', () => {
    assert.match(chart, /s_mail --> s_both_join/);
    assert.match(chart, /s_hook --> s_both_join/);
    assert.doesNotMatch(chart, /say "hi"/);
  });

  it('draws every campaign without throwing', () => {
    for (const name of ['signup', 'renewal', 'product-education']) {
      const p = loadCampaignFile(`${DEFAULT_CAMPAIGNS_DIR}${name}.pulse.yaml`).plan!;
      const text = toMermaid(p);
      for (const s of p.steps)
        assert.ok(text.includes(`s_${s.id.replace(/[^A-Za-z0-9_]/g, '_')}`), `${name}:${s.id}`);
    }
  });
});
