import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.ts';
import { migrations } from '../index.ts';
import * as service from '../service.ts';
import { chainOf, MAX_CHAIN } from './graph.ts';

describe('the referral graph', () => {
  let t: TestDatabase;
  const tenant = { clientId: 'cli_graph', campaignId: 'cmp_graph' };
  const code = async (p: string) =>
    (await service.generateAssets(t.db, tenant, { participantId: p }, 'x')).code;
  /** `referee` signs up with `referrer`'s code (before having a code of their own). */
  const refer = async (referrer: string, referee: string) =>
    service.attribute(t.db, tenant, { refereeId: referee, code: await code(referrer) });

  before(async () => {
    t = await createTestDatabase({ referral: migrations });
  });
  after(() => t.drop());

  it('gives each referee its depth and its chain of ancestors, nearest first', async () => {
    assert.deepEqual((await refer('g-a', 'g-b')).chain, ['g-a']);
    const c = await refer('g-b', 'g-c');
    assert.deepEqual([c.depth, c.chain], [2, ['g-b', 'g-a']]);
    const d = await refer('g-c', 'g-d');
    assert.deepEqual([d.depth, d.chain], [3, ['g-c', 'g-b', 'g-a']]);
    const limited = await chainOf(t.db, tenant.clientId, 'g-d', 2);
    assert.deepEqual(
      [limited.ancestors.map((x) => [x.participant_id, x.level]), limited.truncated],
      [
        [
          ['g-c', 1],
          ['g-b', 2],
        ],
        true,
      ],
    );
    assert.deepEqual((await chainOf(t.db, tenant.clientId, 'g-a')).ancestors, [], 'a root has no ancestors');
  });

  it('refuses self-referral and any loop, at any depth', async () => {
    await refer('l-a', 'l-b');
    // A → B, then B's code for A: A→B→A.
    const back = await service.attribute(t.db, tenant, { refereeId: 'l-a', code: await code('l-b') });
    assert.deepEqual([back.attributed, back.reason], [false, 'referral_cycle']);
    await refer('l-b', 'l-c');
    await refer('l-c', 'l-d');
    const deep = await service.attribute(t.db, tenant, { refereeId: 'l-a', code: await code('l-d') });
    assert.equal(deep.reason, 'referral_cycle', 'A→B→C→D→A');
    const self = await service.attribute(t.db, tenant, { refereeId: 'l-e', code: await code('l-e') });
    assert.equal(self.reason, 'self_referral');
    // Another referrer for A is no loop, but A is a known participant by now (holds a code): not new.
    const known = await service.attribute(t.db, tenant, { refereeId: 'l-a', code: await code('l-z') });
    assert.equal(known.reason, 'existing_customer');
  });

  it('cuts long chains at the limit and says so', async () => {
    const people = Array.from({ length: MAX_CHAIN + 3 }, (_, i) => `long-${i}`);
    for (let i = 1; i < people.length; i++) await refer(people[i - 1] as string, people[i] as string);
    const last = people.at(-1) as string;
    const r = await chainOf(t.db, tenant.clientId, last);
    assert.equal(r.ancestors.length, MAX_CHAIN);
    assert.equal(r.truncated, true);
    assert.equal(r.ancestors[0]?.participant_id, people.at(-2));
  });
});
