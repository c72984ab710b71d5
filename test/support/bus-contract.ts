import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { BusMessage } from '../../contract/bus.ts';
import type { InspectableBus } from '../../services/platform/bus/inspect.ts';

/** Polls until `check` holds (or fails the test with `what`). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The behaviour every `Bus` adapter must show, run against each adapter by its own test file.
 * `bus()` returns the adapter under test (created by the caller's `before`). Names are unique per run.
 */
export function busContract(label: string, bus: () => InspectableBus, opts: { quietMs: number }): void {
  const uid = () => randomUUID().slice(0, 8);

  test(`${label}: a subscriber receives what is published to a matching topic`, async () => {
    const got: BusMessage[] = [];
    const sub = await bus().subscribe(`basic_${uid()}`, 'event.#', async (m) => {
      got.push(m);
    });
    try {
      await bus().publish('event.user_signed_up.cli_1.none', { n: 1 }, { id: `m-${uid()}` });
      await waitFor(() => got.length === 1, 'one delivery');
      assert.equal(got[0]?.topic, 'event.user_signed_up.cli_1.none');
      assert.deepEqual(got[0]?.payload, { n: 1 });
      assert.equal(got[0]?.attempt, 1);
    } finally {
      await sub.stop();
    }
  });

  test(`${label}: a message's correlation id travels beside its payload`, async () => {
    const got: BusMessage[] = [];
    const topic = `event.corr_${uid()}.cli.none`;
    const sub = await bus().subscribe(`corr_${uid()}`, topic, async (m) => {
      got.push(m);
    });
    try {
      await bus().publishMany([
        { topic, payload: { n: 1 }, id: `c1-${uid()}`, correlationId: 'req_corr_one' },
        { topic, payload: { n: 2 }, id: `c2-${uid()}` },
      ]);
      await bus().publish(topic, { n: 3 }, { id: `c3-${uid()}`, correlationId: 'req_corr_three' });
      await waitFor(() => got.length === 3, 'three deliveries');
      const byN = new Map(got.map((m) => [(m.payload as { n: number }).n, m.correlationId]));
      assert.equal(byN.get(1), 'req_corr_one');
      assert.equal(byN.get(2), undefined);
      assert.equal(byN.get(3), 'req_corr_three');
      // The payload is the caller's, unchanged: the id is metadata, not a field added to the event.
      assert.deepEqual(got.find((m) => m.correlationId === 'req_corr_one')?.payload, { n: 1 });
    } finally {
      await sub.stop();
    }
  });

  test(`${label}: depth counts what a subscription has not handled yet; ping answers`, async () => {
    await bus().ping();
    const name = `depth_${uid()}`;
    const topic = `event.depth_${uid()}.cli.none`;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const sub = await bus().subscribe(name, topic, () => gate, { concurrency: 1 });
    try {
      await bus().publishMany([1, 2, 3].map((n) => ({ topic, payload: { n }, id: `d${n}-${uid()}` })));
      await waitFor(async () => {
        const d = (await bus().depth()).find((x) => x.subscription === name);
        return d?.pending === 3;
      }, 'three pending messages');
      const mine = (await bus().depth()).find((x) => x.subscription === name);
      assert.equal(mine?.dead, 0);
      release();
      await waitFor(
        async () => (await bus().depth()).find((x) => x.subscription === name)?.pending === 0,
        'the subscription drained',
      );
    } finally {
      release();
      await sub.stop();
    }
  });

  test(`${label}: patterns select topics (* one word, # the rest)`, async () => {
    const client = `cli${uid()}`;
    const got: string[] = [];
    const sub = await bus().subscribe(`pattern_${uid()}`, `event.*.${client}.#`, async (m) => {
      got.push(m.topic);
    });
    try {
      await bus().publishMany([
        { topic: `event.purchase_completed.${client}.camp_1`, payload: 1 },
        { topic: `event.purchase_completed.other${client}.camp_1`, payload: 2 },
        { topic: `event.referral_visit.${client}.none`, payload: 3 },
        { topic: `workflow.completed.${client}`, payload: 4 },
      ]);
      await waitFor(() => got.length >= 2, 'two matching deliveries');
      await sleep(opts.quietMs);
      assert.deepEqual(got.sort(), [
        `event.purchase_completed.${client}.camp_1`,
        `event.referral_visit.${client}.none`,
      ]);
    } finally {
      await sub.stop();
    }
  });

  test(`${label}: publishing the same id twice delivers once`, async () => {
    const got: BusMessage[] = [];
    const topic = `event.dup_${uid()}.cli.none`;
    const sub = await bus().subscribe(`dedup_${uid()}`, topic, async (m) => {
      got.push(m);
    });
    try {
      const id = `same-${uid()}`;
      await bus().publish(topic, { v: 1 }, { id });
      await bus().publish(topic, { v: 1 }, { id });
      await bus().publishMany([{ topic, payload: { v: 1 }, id }]);
      await waitFor(() => got.length >= 1, 'the delivery');
      await sleep(opts.quietMs);
      assert.equal(got.length, 1);
    } finally {
      await sub.stop();
    }
  });

  test(`${label}: a failed handler gets the message again`, async () => {
    const attempts: number[] = [];
    const topic = `event.retry_${uid()}.cli.none`;
    const sub = await bus().subscribe(
      `retry_${uid()}`,
      topic,
      async (m) => {
        attempts.push(m.attempt);
        if (attempts.length === 1) throw new Error('transient failure');
      },
      { maxAttempts: 5 },
    );
    try {
      await bus().publish(topic, { v: 1 }, { id: `r-${uid()}` });
      await waitFor(() => attempts.length === 2, 'the redelivery');
      await sleep(opts.quietMs);
      assert.deepEqual(attempts, [1, 2]);
    } finally {
      await sub.stop();
    }
  });

  test(`${label}: after maxAttempts failures the message is parked as dead`, async () => {
    let calls = 0;
    const name = `dead_${uid()}`;
    const topic = `event.dead_${uid()}.cli.none`;
    const sub = await bus().subscribe(
      name,
      topic,
      async () => {
        calls++;
        throw new Error('permanent failure');
      },
      { maxAttempts: 2 },
    );
    try {
      const id = `d-${uid()}`;
      await bus().publish(topic, { v: 'x' }, { id });
      await waitFor(async () => (await bus().deadLetters(name)).some((m) => m.id === id), 'the dead letter');
      await sleep(opts.quietMs);
      assert.equal(calls, 2);
      const dead = await bus().deadLetters(name);
      assert.deepEqual(
        dead.map((m) => m.payload),
        [{ v: 'x' }],
      );
    } finally {
      await sub.stop();
    }
  });

  test(`${label}: a durable subscription resumes with what was published while it was stopped`, async () => {
    const name = `durable_${uid()}`;
    const topic = `event.durable_${uid()}.cli.none`;
    const got: unknown[] = [];
    const first = await bus().subscribe(name, topic, async (m) => {
      got.push(m.payload);
    });
    await first.stop();
    await bus().publish(topic, 'while-away', { id: `w-${uid()}` });
    const second = await bus().subscribe(name, topic, async (m) => {
      got.push(m.payload);
    });
    try {
      await waitFor(() => got.length === 1, 'the message published while stopped');
      assert.deepEqual(got, ['while-away']);
    } finally {
      await second.stop();
    }
  });
}
