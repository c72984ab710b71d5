import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { JourneyEvent, Step } from '../../contract/plan.ts';
import { type Harness, type RunCampaign, startHarness } from '../../test/support/engine/harness.ts';
import { handPlan, testEvent, waitStep } from '../../test/support/engine/plans.ts';
import { eventSignal, statusQuery } from '../signals.ts';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

const mark = (id: string): Step => ({ id, kind: 'set', values: { [id]: true } });

async function untilWaiting(handle: WorkflowHandle<RunCampaign>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await handle.query(statusQuery)).state === 'waiting') return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail('journey never started waiting');
}

/** Patch markers (`patched()` ids) the journey's history recorded. */
async function patchMarkers(handle: WorkflowHandle<RunCampaign>): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
    .map((e) => JSON.stringify(e.markerRecordedEventAttributes?.details ?? {}));
}

const purchase = (trust?: JourneyEvent['trust']) =>
  testEvent('purchase', { properties: { amount: 60 }, ...(trust ? { trust } : {}) });

describe('wait: trust (patch wait-trust)', () => {
  it('ignores events below its requirement and takes the first one that meets it', async () => {
    const plan = handPlan([
      waitStep({
        id: 'await-purchase',
        events: ['purchase'],
        trust: 'server',
        timeoutMs: '30d',
        as: 'purchase',
        onMatch: [mark('bought')],
        onTimeout: [mark('expired')],
      }),
    ]);
    const handle = await h.start(plan);
    await untilWaiting(handle);
    const forged = purchase('sdk');
    const unstamped = purchase();
    const signed = purchase('server');
    await handle.signal(eventSignal, forged);
    await handle.signal(eventSignal, unstamped);
    assert.equal((await handle.query(statusQuery)).state, 'waiting', 'browser events do not satisfy it');
    await handle.signal(eventSignal, signed);
    const { vars } = await handle.result();
    assert.equal(vars.bought, true);
    assert.equal((vars.purchase as JourneyEvent).event_id, signed.event_id);
    const markers = await patchMarkers(handle);
    assert.equal(markers.length, 1);
  });

  it('an integration requirement refuses server events too', async () => {
    const plan = handPlan([
      waitStep({
        id: 'await-webhook',
        events: ['purchase'],
        trust: 'integration',
        timeoutMs: '1d',
        onMatch: [mark('bought')],
        onTimeout: [mark('expired')],
      }),
    ]);
    const handle = await h.start(plan);
    await untilWaiting(handle);
    await handle.signal(eventSignal, purchase('server'));
    await h.env.sleep(2 * 86_400_000);
    const { vars } = await handle.result();
    assert.deepEqual([vars.bought, vars.expired], [undefined, true]);
  });

  it('a plan without trust (or requiring sdk) takes any event and records no patch marker', async () => {
    for (const trust of [undefined, 'sdk'] as const) {
      const plan = handPlan([
        waitStep({
          id: 'await-purchase',
          events: ['purchase'],
          ...(trust ? { trust } : {}),
          timeoutMs: '30d',
          onMatch: [mark('bought')],
        }),
      ]);
      const handle = await h.start(plan);
      await untilWaiting(handle);
      await handle.signal(eventSignal, purchase('sdk'));
      const { vars } = await handle.result();
      assert.equal(vars.bought, true, String(trust));
      assert.deepEqual(await patchMarkers(handle), [], String(trust));
    }
  });
});
