import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestClickHouse, emptyEventRow, type TestClickHouse } from '../../test/support/clickhouse.ts';
import type { EventRow } from '../event/events-table.ts';
import type { ApiKeyResolver } from '../platform/auth.ts';
import { migrateClickHouse } from '../platform/clickhouse-migrate.ts';
import { createAnalyticsApp } from './index.ts';
import * as q from './metrics.ts';
import { createScope } from './scope.ts';

const SERVICES = fileURLToPath(new URL('../', import.meta.url));

let n = 0;
function row(client: string, event: string, extra: Partial<EventRow> = {}) {
  const at = '2026-11-20T10:15:00Z';
  return emptyEventRow({
    event_id: extra.event_id ?? `e${++n}`,
    event,
    client_id: client,
    occurred_at: at,
    received_at: at,
    ...extra,
  });
}

describe('analytics over ClickHouse materialized views', () => {
  let t: TestClickHouse;
  const resolver: ApiKeyResolver = {
    async resolve(key) {
      const [clientId, role] = key.split(':');
      return {
        clientId: clientId ?? '',
        clientStatus: 'active',
        keyKind: 'secret',
        keyId: 'k',
        role: (role ?? 'viewer') as 'analyst',
      };
    },
  };

  before(async () => {
    t = await createTestClickHouse((ch) => migrateClickHouse(ch, SERVICES).then(() => undefined));
    await t.ch.insert('events', [
      row('A', 'referral_shared', { campaign_id: 'c1', participant_id: 'ann' }),
      row('A', 'referral_clicked', { campaign_id: 'c1', referral_code: 'CODE1', anonymous_id: 'v1' }),
      row('A', 'referral_clicked', { campaign_id: 'c1', referral_code: 'CODE1', anonymous_id: 'v1' }),
      row('A', 'referral_clicked', { campaign_id: 'c1', referral_code: 'CODE1', anonymous_id: 'v2' }),
      row('A', 'user_signed_up', {
        campaign_id: 'c1',
        participant_id: 'bob',
        referral_code: 'CODE1',
        referrer_id: 'ann',
      }),
      row('A', 'user_signed_up', { campaign_id: 'c1', participant_id: 'cat' }),
      row('A', 'purchase_completed', {
        campaign_id: 'c1',
        participant_id: 'bob',
        referral_id: 'ref_1',
        referrer_id: 'ann',
        value: 80,
      }),
      row('B', 'referral_clicked', { campaign_id: 'c1', referral_code: 'OTHER' }),
    ]);
    // The same event written twice (a retried batch) must still count once.
    const dup = row('A', 'referral_clicked', {
      campaign_id: 'c1',
      referral_code: 'CODE1',
      event_id: 'dup-1',
    });
    await t.ch.insert('events', [dup]);
    await t.ch.insert('events', [dup]);
  });
  after(() => t.drop());

  it('records applied migrations and applies nothing twice', async () => {
    assert.deepEqual(await migrateClickHouse(t.ch, SERVICES), []);
  });

  const ALL = { from: '1970-01-01', to: '2105-12-31' };
  it('computes the funnel in people, per client, counting a duplicated event once', async () => {
    assert.deepEqual(await q.legacyFunnel(createScope(t.ch, 'A'), { ...ALL, campaignId: 'c1' }), {
      shared: 1,
      clicked: 3,
      signed_up: 1,
      converted: 1,
    });
    assert.deepEqual(await q.legacyFunnel(createScope(t.ch, 'B'), ALL), {
      shared: 0,
      clicked: 1,
      signed_up: 0,
      converted: 0,
    });
    assert.deepEqual(
      await q.legacyFunnel(createScope(t.ch, 'A'), { ...ALL, campaignId: 'c1', from: '2026-11-21' }),
      {
        shared: 0,
        clicked: 0,
        signed_up: 0,
        converted: 0,
      },
    );
  });

  it('ranks referrers and keeps hourly stats', async () => {
    assert.deepEqual(await q.leaderboard(createScope(t.ch, 'A'), 'c1', 10), [
      { referrer_id: 'ann', signups: 1, conversions: 1, value: 80 },
    ]);
    const hourly = await q.hourlyStats(createScope(t.ch, 'A'), 'c1', 24 * 365 * 5);
    const clicks = hourly.find((h) => h.event === 'referral_clicked');
    assert.equal(clicks?.events, 4, 'four distinct click events (the duplicate once)');
  });

  it('serves the funnel over HTTP to analysts only, scoped to the caller, with bad input as 400', async () => {
    const app = createAnalyticsApp({ ch: t.ch, resolver });
    const ok = await app.request('/v1/analytics/funnel?campaign_id=c1', {
      headers: { authorization: 'Bearer A:analyst' },
    });
    assert.equal(ok.status, 200);
    assert.deepEqual(((await ok.json()) as { funnel: unknown }).funnel, {
      shared: 1,
      clicked: 3,
      signed_up: 1,
      converted: 1,
    });
    const viewer = await app.request('/v1/analytics/funnel', {
      headers: { authorization: 'Bearer A:viewer' },
    });
    assert.equal(viewer.status, 403);
    const bad = await app.request('/v1/analytics/funnel?from=yesterday', {
      headers: { authorization: 'Bearer A:analyst' },
    });
    assert.equal(bad.status, 400);
    const inj = await app.request(`/v1/analytics/funnel?campaign_id=${encodeURIComponent("c1' OR 1=1 --")}`, {
      headers: { authorization: 'Bearer A:analyst' },
    });
    assert.deepEqual(((await inj.json()) as { funnel: unknown }).funnel, {
      shared: 0,
      clicked: 0,
      signed_up: 0,
      converted: 0,
    });
  });
});
