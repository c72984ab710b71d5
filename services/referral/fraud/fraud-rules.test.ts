import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.ts';
import { serviceToken } from '../../../test/support/service-token.ts';
import { hashIp } from '../../platform/ids.ts';
import { createReferralApp, migrations } from '../index.ts';
import * as service from '../service.ts';
import type { IdentityInput } from './identity.ts';
import { normaliseEmail } from './identity.ts';
import {
  checkFraud,
  type FraudCheckInput,
  type FraudVerdict,
  fraudProblems,
  RULES,
  registerFraudPolicy,
  rememberParticipant,
} from './index.ts';

const SECRET = 'fraud-test-secret';
const TOKEN = 'internal-fraud-token';
const ip = (a: string) => hashIp(SECRET, a);
const UA = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0';
const UA2 = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1';

/**
 * Every rule of the registry through the real engine on a real database: for each, one honest journey
 * (the rule stays quiet) and one fraudulent one (it fires), each in a campaign and participants of its own.
 */
describe('fraud rules (real engine, real Postgres)', () => {
  let t: TestDatabase;
  let n = 0;
  before(async () => {
    t = await createTestDatabase({ referral: migrations });
  });
  after(() => t.drop());

  interface Journey {
    referrer?: IdentityInput;
    referee?: IdentityInput;
    check?: Partial<FraudCheckInput>;
    policy?: unknown;
    /** Runs after the referral exists (extra referrals, clicks, other participants). */
    setup?: (x: {
      tenant: { clientId: string; campaignId: string };
      code: string;
      run: string;
    }) => Promise<void>;
    self?: boolean;
  }

  async function journey(j: Journey): Promise<FraudVerdict> {
    const run = `r${++n}`;
    const tenant = { clientId: `cli_${run}`, campaignId: `cmp_${run}` };
    await registerFraudPolicy(t.db, { ...tenant, policy: j.policy ?? {} });
    const referrer = `ref-${run}`;
    const referee = j.self ? referrer : `new-${run}`;
    const { code } = await service.generateAssets(t.db, tenant, { participantId: referrer }, 'x');
    await rememberParticipant(
      t.db,
      SECRET,
      tenant.clientId,
      referrer,
      j.referrer ?? {},
      new Date(Date.now() - 86_400_000 * 3),
    );
    if (!j.self) await service.attribute(t.db, tenant, { refereeId: referee, code });
    await j.setup?.({ tenant, code, run });
    return checkFraud(t.db, SECRET, tenant, {
      participantId: referee,
      ...(j.self ? { referrerId: referrer } : {}),
      ...j.referee,
      ...j.check,
    });
  }

  const cases: { rule: string; honest: Journey; fraud: Journey }[] = [
    { rule: 'self_referral', honest: {}, fraud: { self: true } },
    {
      rule: 'self_referral_email',
      honest: { referrer: { email: 'ann.lee@gmail.com' }, referee: { email: 'bob@gmail.com' } },
      fraud: { referrer: { email: 'ann.lee@gmail.com' }, referee: { email: 'AnnLee+promo@googlemail.com' } },
    },
    {
      rule: 'self_referral_email_hash',
      honest: { referrer: { emailHash: 'a'.repeat(64) }, referee: { emailHash: 'b'.repeat(64) } },
      fraud: { referrer: { emailHash: 'c'.repeat(64) }, referee: { emailHash: 'C'.repeat(64) } },
    },
    {
      rule: 'self_referral_device',
      honest: { referrer: { deviceId: 'anon-1' }, referee: { deviceId: 'anon-2' } },
      fraud: { referrer: { deviceId: 'anon-3' }, referee: { deviceId: 'anon-3' } },
    },
    {
      rule: 'same_ip',
      honest: { referrer: { ipHash: ip('203.0.113.1') }, referee: { ipHash: ip('198.51.100.1') } },
      fraud: { referrer: { ipHash: ip('203.0.113.2') }, referee: { ipHash: ip('203.0.113.2') } },
    },
    {
      rule: 'same_ip_user_agent',
      honest: {
        referrer: { ipHash: ip('203.0.113.3'), userAgent: UA },
        referee: { ipHash: ip('203.0.113.3'), userAgent: UA2 },
      },
      fraud: {
        referrer: { ipHash: ip('203.0.113.4'), userAgent: UA },
        referee: { ipHash: ip('203.0.113.4'), userAgent: UA },
      },
    },
    {
      rule: 'click_farm',
      honest: {
        referee: { ipHash: ip('198.51.100.50') },
        setup: async ({ tenant, code, run }) => {
          await service.trackClick(t.db, tenant.clientId, {
            eventId: `c-${run}`,
            code,
            ipHash: ip('198.51.100.50'),
            at: new Date(),
          });
        },
      },
      fraud: {
        referee: { ipHash: ip('198.51.100.51') },
        setup: async ({ tenant, code, run }) => {
          for (let i = 0; i < 5; i++)
            await service.trackClick(t.db, tenant.clientId, {
              eventId: `c-${run}-${i}`,
              code,
              ipHash: ip('198.51.100.51'),
              at: new Date(),
            });
        },
      },
    },
    {
      rule: 'same_company_domain',
      honest: { referrer: { email: 'ann@gmail.com' }, referee: { email: 'bob@gmail.com' } },
      fraud: { referrer: { email: 'ann@acme.example' }, referee: { email: 'bob@acme.example' } },
    },
    {
      rule: 'disposable_email',
      honest: { referee: { email: 'bob@acme.example' } },
      fraud: { referee: { email: 'bob@mailinator.com' } },
    },
    {
      rule: 'velocity_referrer',
      honest: { policy: { velocity: { referrer: { max: 3, window: '1h' } } } },
      fraud: {
        policy: { velocity: { referrer: { max: 3, window: '1h' } } },
        setup: async ({ tenant, code, run }) => {
          for (let i = 0; i < 3; i++)
            await service.attribute(t.db, tenant, { refereeId: `more-${run}-${i}`, code });
        },
      },
    },
    {
      rule: 'velocity_ip',
      honest: {
        referee: { ipHash: ip('192.0.2.10') },
        policy: { velocity: { ip: { max: 2, window: '1h' } } },
      },
      fraud: {
        referee: { ipHash: ip('192.0.2.11') },
        policy: { velocity: { ip: { max: 2, window: '1h' } } },
        setup: async ({ tenant, run }) => {
          for (let i = 0; i < 2; i++)
            await rememberParticipant(
              t.db,
              SECRET,
              tenant.clientId,
              `farm-${run}-${i}`,
              { ipHash: ip('192.0.2.11') },
              new Date(),
            );
        },
      },
    },
    {
      rule: 'velocity_device',
      honest: { referee: { deviceId: 'dev-a' }, policy: { velocity: { device: { max: 1, window: '1h' } } } },
      fraud: {
        referee: { deviceId: 'dev-b' },
        policy: { velocity: { device: { max: 1, window: '1h' } } },
        setup: async ({ tenant, run }) => {
          await rememberParticipant(
            t.db,
            SECRET,
            tenant.clientId,
            `other-${run}`,
            { deviceId: 'dev-b' },
            new Date(),
          );
        },
      },
    },
    {
      rule: 'conversion_too_fast',
      honest: { check: { kind: 'conversion', clickedAt: new Date(Date.now() - 3_600_000) } },
      fraud: { check: { kind: 'conversion', clickedAt: new Date(Date.now() - 5_000) } },
    },
    {
      rule: 'conversion_too_late',
      honest: { check: { kind: 'conversion', clickedAt: new Date(Date.now() - 3_600_000) } },
      fraud: {
        check: { kind: 'conversion', clickedAt: new Date(Date.now() - 100 * 86_400_000) },
      },
    },
    {
      rule: 'duplicate_email',
      honest: { referee: { email: 'zoe@acme.example' } },
      fraud: {
        referee: { email: 'z.o.e+2@gmail.com' },
        setup: async ({ tenant, run }) => {
          await rememberParticipant(
            t.db,
            SECRET,
            tenant.clientId,
            `twin-${run}`,
            { email: 'zoe@gmail.com' },
            new Date(),
          );
        },
      },
    },
    {
      rule: 'duplicate_phone',
      honest: { referee: { phone: '+44 20 7946 0000' } },
      fraud: {
        referee: { phone: '+44 (0)20 7946-0001' },
        setup: async ({ tenant, run }) => {
          await rememberParticipant(
            t.db,
            SECRET,
            tenant.clientId,
            `twin-${run}`,
            { phone: '+4420 79460001' },
            new Date(),
          );
        },
      },
    },
    {
      rule: 'paid_click_id',
      honest: { check: { clickIds: { utm_source: 'newsletter' } } },
      fraud: { check: { clickIds: { gclid: 'Cj0KCQ', utm_source: 'google' } } },
    },
    {
      rule: 'blocked_country',
      honest: { referee: { country: 'GB' }, policy: { blocked_countries: ['KP'] } },
      fraud: { referee: { country: 'kp' }, policy: { blocked_countries: ['KP'] } },
    },
  ];

  it('paid_click_id also fires from the click ids the referral service recorded on the referee’s click', async () => {
    const clicked = (clickIds: Record<string, string>) => ({
      setup: async ({ tenant, code, run }: { tenant: { clientId: string }; code: string; run: string }) => {
        await service.trackClick(t.db, tenant.clientId, {
          eventId: `paid-${run}`,
          code,
          participantId: `new-${run}`,
          at: new Date(),
          clickIds,
        });
      },
    });
    const paid = await journey(clicked({ fbclid: 'IwAR0x' }));
    assert.ok(
      paid.reasons.some((r) => r.rule === 'paid_click_id' && r.detail.includes('fbclid')),
      JSON.stringify(paid.reasons),
    );
    const organic = await journey(clicked({}));
    assert.ok(!organic.reasons.some((r) => r.rule === 'paid_click_id'), JSON.stringify(organic.reasons));
  });

  it('covers every rule of the registry', () => {
    assert.deepEqual(cases.map((c) => c.rule).sort(), RULES.map((r) => r.id).sort());
  });

  for (const c of cases) {
    it(`${c.rule}: quiet for an honest journey, fires for a fraudulent one`, async () => {
      const honest = await journey(c.honest);
      assert.ok(
        !honest.flags.includes(c.rule),
        `honest journey fired ${c.rule}: ${JSON.stringify(honest.reasons)}`,
      );
      const fraud = await journey(c.fraud);
      const reason = fraud.reasons.find((r) => r.rule === c.rule);
      assert.ok(reason, `fraudulent journey did not fire ${c.rule}: ${JSON.stringify(fraud.reasons)}`);
      const rule = RULES.find((r) => r.id === c.rule);
      assert.equal(reason.weight, rule?.weight);
      assert.equal(reason.severity, rule?.severity);
      assert.ok(reason.detail.length > 0);
    });
  }

  it('maps scores to decisions by the campaign thresholds, and rejects alone only on critical rules', async () => {
    const sameIp = (policy: unknown) =>
      journey({ referrer: { ipHash: ip('203.0.113.90') }, referee: { ipHash: ip('203.0.113.90') }, policy });
    const held = await sameIp({});
    assert.deepEqual([held.score, held.decision, held.blocked], [40, 'review', false]);
    assert.equal((await sameIp({ review_at: 50 })).decision, 'approve');
    // Re-weighed in the YAML: same_ip alone now reaches reject_at, but it is no exact identity match.
    const heavy = await sameIp({ rules: { same_ip: { weight: 90 } } });
    assert.deepEqual([heavy.score, heavy.decision], [90, 'review']);
    assert.equal((await sameIp({ rules: { same_ip: { enabled: false } } })).decision, 'approve');
    const exact = await journey({
      referrer: { email: 'kim@acme.example' },
      referee: { email: 'Kim@ACME.example' },
    });
    assert.equal(exact.decision, 'reject');
    assert.equal(exact.blocked, true);
    assert.equal(exact.review.suspend_after, 3);
    const clean = await journey({});
    assert.deepEqual([clean.score, clean.decision, clean.reasons], [0, 'approve', []]);
  });

  it('keeps each client’s facts to itself', async () => {
    // The same IP recorded for a participant of another client is no signal here.
    await rememberParticipant(t.db, SECRET, 'cli_other', 'ref-x', { ipHash: ip('192.0.2.99') }, new Date());
    const v = await journey({ referee: { ipHash: ip('192.0.2.99') } });
    assert.deepEqual(v.flags, []);
  });

  it('documents every rule in docs/fraud.md and names each in the campaign schema', async () => {
    const doc = await readFile(new URL('../../../docs/fraud.md', import.meta.url), 'utf8');
    for (const r of RULES)
      assert.ok(
        doc.includes(`| \`${r.id}\` | ${r.signal} | ${r.weight} | ${r.severity} | ${r.fails} |`),
        `docs/fraud.md row of ${r.id}`,
      );
    const schema = JSON.parse(
      await readFile(new URL('../../../schemas/campaign.schema.json', import.meta.url), 'utf8'),
    );
    assert.deepEqual(
      [...schema.$defs.fraud.properties.rules.propertyNames.enum].sort(),
      RULES.map((r) => r.id).sort(),
    );
  });

  it('normalises emails: case, plus-tags, dots only for gmail-style providers', () => {
    assert.equal(normaliseEmail(' A.B+x@GMail.com '), 'ab@gmail.com');
    assert.equal(normaliseEmail('a.b+x@acme.example'), 'a.b@acme.example');
    assert.equal(normaliseEmail('nope'), null);
  });

  it('refuses a fraud block whose thresholds are inverted or that names an unknown rule', () => {
    assert.deepEqual(fraudProblems({ review_at: 30, reject_at: 80 }), []);
    const p = fraudProblems({ review_at: 90, reject_at: 80, rules: { nope: { weight: 1 } } }).map(
      (d) => d.path,
    );
    assert.deepEqual(p, ['fraud.review_at', 'fraud.rules.nope']);
  });

  it('answers the CheckFraud activity over the internal route', async () => {
    const app = createReferralApp({
      db: t.db,
      resolver: { resolve: async () => null },
      internalToken: TOKEN,
      publicBaseUrl: 'http://pulse.test',
      hashSecret: SECRET,
    });
    const tenant = { clientId: 'cli_route', campaignId: 'cmp_route' };
    const { code } = await service.generateAssets(t.db, tenant, { participantId: 'amy' }, 'x');
    await rememberParticipant(
      t.db,
      SECRET,
      tenant.clientId,
      'amy',
      { ipHash: ip('203.0.113.7') },
      new Date(),
    );
    await service.attribute(t.db, tenant, { refereeId: 'ben', code });
    const res = await app.request('/internal/v1/referrals/fraud-check', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${serviceToken(TOKEN, 'referral')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        client_id: tenant.clientId,
        campaign_id: tenant.campaignId,
        participant_id: 'ben',
        ip_hash: ip('203.0.113.7'),
        email: null,
        kind: 'signup',
      }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as FraudVerdict;
    assert.deepEqual(
      [body.decision, body.flags, body.blocked, body.review.referrer_id],
      ['review', ['same_ip'], false, 'amy'],
    );
  });
});
