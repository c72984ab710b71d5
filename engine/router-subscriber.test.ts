import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Bus, type BusMessage, topicMatches } from '../contract/bus.ts';
import type { JourneyEvent } from '../contract/plan.ts';
import { testEvent } from '../test/support/engine/plans.ts';
import type { Router } from './router.ts';
import { startRouterSubscription } from './router-subscriber.ts';

/** An in-memory fake of our Bus interface: synchronous delivery to matching subscriptions. */
function fakeBus(): Bus & { patterns: string[] } {
  const subs: { pattern: string; handler: (m: BusMessage) => Promise<void> }[] = [];
  let n = 0;
  const publish = async (topic: string, payload: unknown) => {
    n += 1;
    const msg = { id: `m${n}`, topic, payload, publishedAt: new Date().toISOString(), attempt: 1 };
    for (const s of subs) if (topicMatches(s.pattern, topic)) await s.handler(msg);
  };
  return {
    patterns: [],
    publish,
    async publishMany(messages) {
      for (const m of messages) await publish(m.topic, m.payload);
    },
    async subscribe(_name, pattern, handler) {
      subs.push({ pattern, handler });
      this.patterns.push(pattern);
      return { stop: async () => undefined };
    },
    async close() {},
  };
}

describe('router subscription', () => {
  it('routes every event.# payload and drops malformed ones', async () => {
    const routed: JourneyEvent[] = [];
    const router: Router = {
      async route(event) {
        routed.push(event);
        return [];
      },
    };
    const bus = fakeBus();
    await startRouterSubscription(bus, router);
    assert.deepEqual(bus.patterns, ['event.#']);
    const event = testEvent('signup');
    await bus.publish('event.signup.client-1', event);
    await bus.publish('event.signup.client-1', { not: 'an event' });
    await bus.publish('workflow.completed.client-1', testEvent('workflow_completed'));
    assert.deepEqual(routed, [event]);
  });
});
