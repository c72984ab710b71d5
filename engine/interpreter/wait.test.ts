import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { addMonths } from '../../contract/duration.ts';
import type { Step, WaitStep } from '../../contract/plan.ts';
import { type Harness, type RunCampaign, startHarness } from '../../test/support/engine/harness.ts';
import { handPlan, testEvent, waitStep } from '../../test/support/engine/plans.ts';
import { eventSignal, statusQuery, traceQuery } from '../signals.ts';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

/** Workflow time moves a few real milliseconds between tasks, even on the time-skipping server. */
function assertAbout(actualMs: number, expectedMs: number): void {
  assert.ok(Math.abs(actualMs - expectedMs) < 1_000, `${actualMs} ms is not about ${expectedMs} ms`);
}

const mark = (id: string, value: unknown): Step => ({ id, kind: 'set', values: { [id]: value } });

/** Polls the status query until the journey waits (the first workflow task has run). */
async function untilWaiting(handle: WorkflowHandle<RunCampaign>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const status = await handle.query(statusQuery);
    if (status.state === 'waiting') return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail('journey never started waiting');
}

const purchaseWait = (extra: Partial<Parameters<typeof waitStep>[0]> = {}): WaitStep =>
  waitStep({
    id: 'await-purchase',
    events: ['purchase'],
    match: { '>=': [{ var: 'event.properties.amount' }, 50] },
    timeoutMs: '30d',
    as: 'purchase',
    onMatch: [mark('bought', true)],
    onTimeout: [mark('expired', true)],
    ...extra,
  });

describe('wait', () => {
  it('matches the first event that passes `match`, stores it under `as`, runs then', async () => {
    const handle = await h.start(handPlan([purchaseWait()]));
    await untilWaiting(handle);
    const status = await handle.query(statusQuery);
    assert.deepEqual(status.waitingFor, ['purchase']);
    assert.equal(status.currentStep, 'await-purchase');
    await handle.signal(eventSignal, testEvent('purchase', { properties: { amount: 20 } }));
    await handle.signal(eventSignal, testEvent('page_view'));
    await handle.signal(eventSignal, testEvent('purchase', { properties: { amount: 60 } }));
    const { vars } = await handle.result();
    assert.equal(vars.bought, true);
    assert.equal((vars.purchase as { properties: { amount: number } }).properties.amount, 60);
  });

  it('times out after the duration and runs onTimeout', async () => {
    const handle = await h.start(
      handPlan([
        { id: 't0', kind: 'set', values: { t0: { var: 'now' } } },
        purchaseWait(),
        { id: 't1', kind: 'set', values: { t1: { var: 'now' } } },
      ]),
    );
    const { vars } = await handle.result();
    assert.equal(vars.expired, true);
    assert.equal(vars.bought, undefined);
    assertAbout(Date.parse(String(vars.t1)) - Date.parse(String(vars.t0)), 30 * 86_400_000);
    const trace = await handle.query(traceQuery);
    assert.ok(trace.some((r) => r.kind === 'timeout'));
  });

  it('keeps an event that arrived before the wait started', async () => {
    const plan = handPlan([
      { id: 'nap', kind: 'sleep', durationMs: '1h' },
      purchaseWait({ timeoutMs: '1d' }),
    ]);
    const handle = await h.start(plan);
    await handle.signal(eventSignal, testEvent('purchase', { properties: { amount: 99 } }));
    const { vars } = await handle.result();
    assert.equal(vars.bought, true);
  });

  it('deduplicates by event_id: a redelivered event and the trigger count once', async () => {
    const second = purchaseWait({
      id: 'await-again',
      as: 'again',
      onMatch: [mark('twice', true)],
      onTimeout: [mark('once', true)],
    });
    const trigger = waitStep({
      id: 'await-trigger',
      events: ['test_started'],
      timeoutMs: '1h',
      onMatch: [mark('trigger-counted-twice', true)],
    });
    const handle = await h.start(handPlan([trigger, purchaseWait(), second]));
    const event = testEvent('purchase', { properties: { amount: 70 } });
    await handle.signal(eventSignal, event);
    await handle.signal(eventSignal, event);
    const { vars } = await handle.result();
    assert.equal(vars['trigger-counted-twice'], undefined);
    assert.equal(vars.bought, true);
    assert.equal(vars.once, true);
    assert.equal(vars.twice, undefined);
  });

  it('two waits in parallel branches never take the same event', async () => {
    const waitIn = (name: string): Step =>
      waitStep({
        id: `w-${name}`,
        events: ['ping'],
        timeoutMs: '1d',
        as: `got-${name}`,
        onTimeout: [mark(`timeout-${name}`, true)],
      });
    const handle = await h.start(
      handPlan([
        {
          id: 'both',
          kind: 'parallel',
          branches: [
            { name: 'a', steps: [waitIn('a')] },
            { name: 'b', steps: [waitIn('b')] },
          ],
        },
      ]),
    );
    await untilWaiting(handle);
    await handle.signal(eventSignal, testEvent('ping'));
    const { vars } = await handle.result();
    assert.ok(vars['got-a']);
    assert.equal(vars['got-b'], undefined);
    assert.equal(vars['timeout-b'], true);
  });
});

describe('sleep', () => {
  it('sleeps calendar months and years from workflow time (clamped to the month end)', async () => {
    const plan = handPlan(
      [
        { id: 't0', kind: 'set', values: { t0: { var: 'now' } } },
        { id: 'month', kind: 'sleep', durationMs: '1mo' },
        { id: 't1', kind: 'set', values: { t1: { var: 'now' } } },
        { id: 'year', kind: 'sleep', durationMs: { var: 'settings.yearly' } },
        { id: 't2', kind: 'set', values: { t2: { var: 'now' } } },
        { id: 'until', kind: 'sleep', until: { date_add: [{ var: 't2' }, 'P1M'] } },
        { id: 't3', kind: 'set', values: { t3: { var: 'now' } } },
      ],
      { settings: { yearly: '1y' } },
    );
    const { vars } = await (await h.start(plan)).result();
    const [t0, t1, t2, t3] = ['t0', 't1', 't2', 't3'].map((k) => Date.parse(String(vars[k])));
    // A month from a date is not 30 days: it is whatever the calendar says from that date on.
    assertAbout(t1! - t0!, addMonths(t0!, 1) - t0!);
    assertAbout(t2! - t1!, addMonths(t1!, 12) - t1!);
    assertAbout(t3! - t2!, addMonths(t2!, 1) - t2!);
    assert.ok(t2! - t0! > 360 * 86_400_000);
  });

  it('sleeps a duration expression in workflow time', async () => {
    const plan = handPlan(
      [
        { id: 't0', kind: 'set', values: { t0: { var: 'now' } } },
        { id: 'nap', kind: 'sleep', durationMs: { var: 'settings.pause' } },
        { id: 't1', kind: 'set', values: { t1: { var: 'now' } } },
      ],
      { settings: { pause: '2d' } },
    );
    const { vars } = await (await h.start(plan)).result();
    assertAbout(Date.parse(String(vars.t1)) - Date.parse(String(vars.t0)), 2 * 86_400_000);
  });

  it('sleeps until a date, and not at all when that date is past', async () => {
    const plan = handPlan([
      { id: 'until-later', kind: 'sleep', until: { date_add: [{ var: 'journey.startedAt' }, '5h'] } },
      { id: 't1', kind: 'set', values: { t1: { var: 'now' }, start: { var: 'journey.startedAt' } } },
      { id: 'until-past', kind: 'sleep', until: '2000-01-01T00:00:00Z' },
    ]);
    const handle = await h.start(plan);
    const { vars } = await handle.result();
    assertAbout(Date.parse(String(vars.t1)) - Date.parse(String(vars.start)), 5 * 3_600_000);
    const history = await handle.fetchHistory();
    const timers = (history.events ?? []).filter((e) => e.timerStartedEventAttributes);
    assert.equal(timers.length, 1);
  });
});
