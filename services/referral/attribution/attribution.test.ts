import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  createTestClickHouse,
  emptyEventRow,
  type TestClickHouse,
} from '../../../test/support/clickhouse.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.ts';
import { migrateClickHouse } from '../../platform/clickhouse-migrate.ts';
import { migrations } from '../index.ts';
import { deactivateCode } from '../links/service.ts';
import * as service from '../service.ts';
import { registerAttribution } from './settings.ts';

const SERVICES = fileURLToPath(new URL('../../', import.meta.url));
const DAY = 86_400_000;
const ago = (days: number, from = Date.now()) => new Date(from - days * DAY);
const CLIENT = 'cli_attr';

/**
 * Attribution on real Postgres (touches, identities, the graph) and ClickHouse (earlier conversions):
 * window expiry, first vs last touch, cross-device merges, existing customers.
 */
describe('attribution', () => {
  let t: TestDatabase;
  let c: TestClickHouse;
  let n = 0;
  const campaign = async (attribution?: { windowDays: number; model: 'first_touch' | 'last_touch' }) => {
    const tenant = { clientId: CLIENT, campaignId: `cmp_${++n}` };
    if (attribution)
      await registerAttribution(t.db, {
        ...tenant,
        attribution: { ...attribution, conversion: ['purchase_completed'] },
      });
    return tenant;
  };
  const codeOf = async (tenant: { clientId: string; campaignId: string }, participantId: string) =>
    (await service.generateAssets(t.db, tenant, { participantId }, 'http://pulse.test')).code;
  const click = (code: string, at: Date, who: { visitor?: string; participant?: string }, extra = {}) =>
    service.trackClick(t.db, CLIENT, {
      eventId: `clk-${++n}`,
      code,
      visitorId: who.visitor ?? null,
      participantId: who.participant ?? null,
      at,
      ...extra,
    });

  before(async () => {
    t = await createTestDatabase({ referral: migrations });
    c = await createTestClickHouse((ch) => migrateClickHouse(ch, SERVICES).then(() => undefined));
  });
  after(async () => {
    await t.drop();
    await c.drop();
  });

  it('credits a click inside the window and refuses one that expired', async () => {
    const tenant = await campaign({ windowDays: 7, model: 'last_touch' });
    const code = await codeOf(tenant, 'ref-w');
    await click(code, ago(10), { visitor: 'dev-old' });
    await service.recordIdentity(t.db, {
      client_id: CLIENT,
      anonymous_id: 'dev-old',
      participant_id: 'late',
      first_seen_at: ago(1),
    });
    const late = await service.attribute(t.db, tenant, { refereeId: 'late' }, c.ch);
    assert.deepEqual([late.attributed, late.reason], [false, 'window_expired']);
    await click(code, ago(6), { visitor: 'dev-new' });
    await service.recordIdentity(t.db, {
      client_id: CLIENT,
      anonymous_id: 'dev-new',
      participant_id: 'timely',
      first_seen_at: ago(0.5),
    });
    const timely = await service.attribute(t.db, tenant, { refereeId: 'timely' }, c.ch);
    assert.deepEqual([timely.attributed, timely.referrer_id, timely.reason], [true, 'ref-w', null]);
    // The same click judged 2 days later is 8 days old: expired.
    await service.recordIdentity(t.db, {
      client_id: CLIENT,
      anonymous_id: 'dev-new',
      participant_id: 'later-still',
      first_seen_at: ago(0.5),
    });
    const later = await service.attribute(
      t.db,
      tenant,
      { refereeId: 'later-still', at: new Date(Date.now() + 2 * DAY) },
      c.ch,
    );
    assert.equal(later.reason, 'window_expired');
  });

  it('picks the earliest touch under first_touch and the latest under last_touch', async () => {
    for (const model of ['first_touch', 'last_touch'] as const) {
      const tenant = await campaign({ windowDays: 30, model });
      const early = await codeOf(tenant, `early-${model}`);
      const late = await codeOf(tenant, `late-${model}`);
      const person = `multi-${model}`;
      await click(early, ago(20), { participant: person }, { channel: 'email' });
      await click(late, ago(2), { participant: person }, { channel: 'whatsapp', clickIds: { gclid: 'G-1' } });
      const r = await service.attribute(t.db, tenant, { refereeId: person }, c.ch);
      assert.equal(r.attributed, true);
      assert.equal(r.model, model);
      if (model === 'first_touch')
        assert.deepEqual([r.referrer_id, r.channel, r.click_ids], [`early-${model}`, 'email', {}]);
      else
        assert.deepEqual(
          [r.referrer_id, r.channel, r.click_ids],
          [`late-${model}`, 'whatsapp', { gclid: 'G-1' }],
        );
    }
  });

  it('follows identify merges across devices: a click on device A, a signup on device B', async () => {
    const tenant = await campaign({ windowDays: 30, model: 'last_touch' });
    const code = await codeOf(tenant, 'xdev-ref');
    await click(code, ago(3), { visitor: 'phone-1' });
    // Without the merge, the laptop signup has nothing to go on.
    const before = await service.attribute(t.db, tenant, { refereeId: 'xdev-user-0' }, c.ch);
    assert.equal(before.reason, 'no_referral');
    // The phone identified as the user (identify on device A); the signup comes from the laptop.
    await service.recordIdentity(t.db, {
      client_id: CLIENT,
      anonymous_id: 'phone-1',
      participant_id: 'xdev-user',
      first_seen_at: ago(2),
    });
    await service.recordIdentity(t.db, {
      client_id: CLIENT,
      anonymous_id: 'laptop-1',
      participant_id: 'xdev-user',
      first_seen_at: ago(0),
    });
    const r = await service.attribute(t.db, tenant, { refereeId: 'xdev-user' }, c.ch);
    assert.deepEqual([r.attributed, r.referrer_id], [true, 'xdev-ref']);
    assert.ok(r.touched_at && Date.parse(r.touched_at) < Date.now() - 2 * DAY, 'credited to the phone click');
  });

  it('does not count an existing customer arriving through a new referral link', async () => {
    const tenant = await campaign({ windowDays: 30, model: 'last_touch' });
    const code = await codeOf(tenant, 'existing-ref');
    // A customer who bought 100 days ago (ClickHouse) clicks a friend's link today.
    await c.ch.insert('events', [
      emptyEventRow({
        event_id: 'old-buy',
        event: 'purchase_completed',
        client_id: CLIENT,
        participant_id: 'old-customer',
        occurred_at: ago(100).toISOString().slice(0, 19),
        received_at: ago(100).toISOString().slice(0, 19),
      }),
    ]);
    await click(code, ago(0.1), { participant: 'old-customer' });
    const buyer = await service.attribute(t.db, tenant, { refereeId: 'old-customer', code }, c.ch);
    assert.deepEqual(
      [buyer.attributed, buyer.reason, buyer.referrer_id],
      [false, 'existing_customer', 'existing-ref'],
    );
    // A participant who already had a code of their own (any campaign of the client) before the click.
    const other = await campaign();
    await codeOf(other, 'old-participant');
    await new Promise((r) => setTimeout(r, 5));
    await click(code, new Date(), { participant: 'old-participant' });
    assert.equal(
      (await service.attribute(t.db, tenant, { refereeId: 'old-participant' }, c.ch)).reason,
      'existing_customer',
    );
    // The client's own record counts too.
    const since = await service.attribute(
      t.db,
      tenant,
      { refereeId: 'crm-customer', code, customerSince: ago(400) },
      c.ch,
    );
    assert.equal(since.reason, 'existing_customer');
    // A visitor who only browsed before (an identify, page views) is a new referral.
    await service.recordIdentity(t.db, {
      client_id: CLIENT,
      anonymous_id: 'browser-9',
      participant_id: 'new-person',
      first_seen_at: ago(40),
    });
    await c.ch.insert('events', [
      emptyEventRow({
        event_id: 'later-buy',
        event: 'purchase_completed',
        client_id: CLIENT,
        participant_id: 'new-person',
        occurred_at: new Date(Date.now() + 60_000).toISOString().slice(0, 19),
        received_at: new Date().toISOString().slice(0, 19),
      }),
    ]);
    const fresh = await service.attribute(t.db, tenant, { refereeId: 'new-person', code }, c.ch);
    assert.deepEqual([fresh.attributed, fresh.referrer_id], [true, 'existing-ref']);
  });

  it('never credits a person to their own code, nor to a deactivated one', async () => {
    const tenant = await campaign({ windowDays: 30, model: 'last_touch' });
    const own = await codeOf(tenant, 'selfie');
    await click(own, ago(1), { participant: 'selfie' });
    assert.equal(
      (await service.attribute(t.db, tenant, { refereeId: 'selfie', code: own }, c.ch)).reason,
      'self_referral',
    );
    const friend = await codeOf(tenant, 'friend-gone');
    await click(friend, ago(1), { participant: 'victim' });
    await deactivateCode(t.db, CLIENT, friend);
    const r = await service.attribute(t.db, tenant, { refereeId: 'victim', code: friend }, c.ch);
    assert.deepEqual([r.attributed, r.reason], [false, 'unknown_code']);
  });

  it('validates only the campaign’s conversion events as conversions', async () => {
    const tenant = { clientId: CLIENT, campaignId: `cmp_conv_${++n}` };
    await registerAttribution(t.db, {
      ...tenant,
      attribution: { windowDays: 30, model: 'last_touch', conversion: ['subscription_started'] },
    });
    const code = await codeOf(tenant, 'conv-ref');
    assert.equal(
      (await service.attribute(t.db, tenant, { refereeId: 'conv-user', code }, c.ch)).attributed,
      true,
    );
    const purchase = await service.validateConversion(t.db, tenant, {
      refereeId: 'conv-user',
      event: 'purchase_completed',
    });
    assert.deepEqual([purchase.valid, purchase.reason], [false, 'not_a_conversion']);
    const sub = await service.validateConversion(t.db, tenant, {
      refereeId: 'conv-user',
      event: 'subscription_started',
    });
    assert.deepEqual([sub.valid, sub.referrer_id], [true, 'conv-ref']);
  });
});
