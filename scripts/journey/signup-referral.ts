import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createIdentityToken } from '../../sdk/node/index.ts';
import { decodeQuotedPrintable, type TestSmtpServer } from '../../test/support/smtp.ts';
import { call, GiveUp, waitUntil } from './http.ts';

/**
 * The spec's "Complete Referral Journey", signup flavour, driven over HTTP exactly as a client's
 * website and back office would: the demo prints it, the end-to-end test asserts on its report.
 */
export interface JourneyEnv {
  baseUrl: string;
  adminKey: string;
  smtp: TestSmtpServer;
  log?: (line: string) => void;
  /** X-Correlation-Id to send with an event (by name and participant); default: the server assigns one. */
  correlationId?: (event: string, participant: string | undefined) => string | undefined;
}

export interface RewardView {
  reward_id: string;
  participant_id: string;
  side: string | null;
  category: string;
  amount: number | null;
  currency: string | null;
  state: string;
}

export interface JourneyReport {
  clientId: string;
  campaignId: string;
  version: number;
  userA: { code: string; link: string; email: { subject: string; body: string } };
  userB: { code: string; attributedTo: string | null };
  rewardsA: RewardView[];
  rewardsB: RewardView[];
  duplicate: { status: number; body: unknown };
  funnel: { shared: number; clicked: number; signed_up: number; converted: number };
  journeyA: unknown;
  journeyB: unknown;
}

const SIGNUP_YAML = fileURLToPath(new URL('../../campaigns/signup.pulse.yaml', import.meta.url));

function expectStatus(what: string, res: { status: number; body: unknown }, ...ok: number[]): void {
  if (!ok.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
}

export async function runSignupReferralJourney(env: JourneyEnv): Promise<JourneyReport> {
  const log = env.log ?? (() => undefined);
  const base = env.baseUrl;
  const run = randomUUID().slice(0, 8);

  // 1. A client with keys (platform admin creates it; keys are shown once and stored hashed).
  const created = await call<{
    client: { id: string };
    keys: { publishable: { key: string }; secret: { key: string; signing_secret: string } };
  }>(base, 'POST', '/v1/admin/clients', { key: env.adminKey, body: { name: `Acme Shop ${run}` } });
  expectStatus('create client', created, 201);
  const clientId = created.body.client.id;
  const pk = created.body.keys.publishable.key;
  const sk = created.body.keys.secret.key;
  // The site's server vouches for its signed-in user, so the browser may set their email (sdk/README.md).
  const identity = (participant: unknown): Record<string, string> =>
    typeof participant === 'string'
      ? { 'x-pulse-identity': createIdentityToken(created.body.keys.secret.signing_secret, participant) }
      : {};
  log(
    `client       ${clientId} created; publishable key ${pk.slice(0, 7)}…, secret key ${sk.slice(0, 7)}… (stored hashed)`,
  );

  // 2. Deploy the signup pulse from YAML (validated, compiled, versioned).
  const deployed = await call<{ campaign_id: string; version: number; plan_hash: string }>(
    base,
    'POST',
    '/v1/campaigns/deploy',
    {
      key: sk,
      body: { source: await readFile(SIGNUP_YAML, 'utf8'), file: 'campaigns/signup.pulse.yaml' },
    },
  );
  expectStatus('deploy campaign', deployed, 201, 200);
  const campaignId = deployed.body.campaign_id;
  log(
    `campaign     signup.pulse.yaml deployed as ${campaignId} v${deployed.body.version} (plan ${deployed.body.plan_hash.slice(0, 12)})`,
  );

  const correlation = (event: Record<string, unknown>): Record<string, string> => {
    const id = env.correlationId?.(String(event.event), event.participant_id as string | undefined);
    return id ? { 'x-correlation-id': id } : {};
  };
  // Each person browses from an address of their own (documentation ranges), seen through the proxy.
  const addressOf = (event: Record<string, unknown>): Record<string, string> => ({
    'x-forwarded-for': event.participant_id === `user-a-${run}` ? '203.0.113.10' : '198.51.100.20',
  });
  const track = async (event: Record<string, unknown>) => {
    const res = await call(base, 'POST', '/v1/events', {
      key: pk,
      headers: { ...identity(event.participant_id), ...correlation(event), ...addressOf(event) },
      body: {
        event_id: randomUUID(),
        occurred_at: new Date().toISOString(),
        campaign_id: campaignId,
        ...event,
      },
    });
    expectStatus(`event ${String(event.event)}`, res, 202);
    return res;
  };
  const journey = async (key: string) =>
    waitUntil(
      `journey ${key} to finish`,
      async () => {
        const r = await call<{ execution_status: string; journey: unknown }>(
          base,
          'GET',
          `/v1/journeys/${campaignId}/${key}`,
          { key: sk },
        );
        if (r.status !== 200) return undefined;
        if (r.body.execution_status === 'COMPLETED') return r.body;
        if (['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELED'].includes(r.body.execution_status)) {
          throw new GiveUp(
            `journey ${key} ended ${r.body.execution_status}: ${JSON.stringify(r.body.journey)}`,
          );
        }
        return undefined;
      },
      90_000,
    );

  // 3. User A signs up on the client's site: event → bus → router → runCampaign.
  const userA = `user-a-${run}`;
  const emailA = `ann.${run}@example.test`;
  await track({ event: 'user_signed_up', participant_id: userA, traits: { email: emailA, name: 'Ann' } });
  log(`event        user_signed_up for ${userA} accepted (202)`);
  const journeyA = await journey(userA);
  const mail = await env.smtp.waitFor((m) => m.to.includes(emailA), 30_000);
  const body = decodeQuotedPrintable(mail.raw);
  const link = /https?:\/\/\S+\/r\/\S+?\/([A-Z0-9]{8})/.exec(body);
  if (!link) throw new Error(`welcome email carries no referral link:\n${body}`);
  const [linkA, codeA] = [link[0], link[1] as string];
  log(`journey      ${userA}: code ${codeA}, link ${linkA}`);
  log(`email        to ${emailA}: "${mail.subject}"`);

  // 4. A shares; B clicks the link (the redirect records nothing by itself: the SDK reports the visit).
  await track({
    event: 'referral_shared',
    participant_id: userA,
    properties: { platform: 'email', referral_code: codeA },
  });
  const redirect = await call(base, 'GET', new URL(linkA).pathname, { redirect: 'manual' });
  const visitor = `anon-${run}`;
  await track({ event: 'referral_clicked', anonymous_id: visitor, properties: { referral_code: codeA } });
  log(`click        B opened ${new URL(linkA).pathname} (HTTP ${redirect.status}); referral_clicked tracked`);

  // 5. B signs up carrying the attribution; the same event is then delivered twice more.
  const userB = `user-b-${run}`;
  const emailB = `bob.${run}@example.test`;
  const signupB = {
    event: 'user_signed_up',
    event_id: randomUUID(),
    occurred_at: new Date().toISOString(),
    campaign_id: campaignId,
    participant_id: userB,
    anonymous_id: visitor,
    properties: { referral_code: codeA },
    traits: { email: emailB, name: 'Bob' },
  };
  const asB = {
    key: pk,
    body: signupB,
    headers: { ...identity(userB), ...correlation(signupB), ...addressOf(signupB) },
  };
  expectStatus('signup B', await call(base, 'POST', '/v1/events', asB), 202);
  const journeyB = await journey(userB);
  const duplicate = await call(base, 'POST', '/v1/events', asB);
  await track({ ...signupB, event_id: randomUUID() });
  log(
    `event        user_signed_up for ${userB} (ref ${codeA}); repeated with the same id → HTTP ${duplicate.status}, and again with a new id`,
  );

  // 6. Rewards: double-sided, once each, whatever the redeliveries.
  const rewardsOf = async (participant: string) => {
    const r = await call<{ data: RewardView[] }>(base, 'GET', `/v1/rewards?participant_id=${participant}`, {
      key: sk,
    });
    expectStatus('list rewards', r, 200);
    return r.body.data;
  };
  await new Promise((r) => setTimeout(r, 1_500)); // let the redelivered events reach the router
  const rewardsA = await rewardsOf(userA);
  const rewardsB = await rewardsOf(userB);
  for (const [who, list] of [
    ['A (referrer)', rewardsA],
    ['B (referee)', rewardsB],
  ] as const) {
    for (const r of list)
      log(`reward       ${who}: ${r.category} ${r.amount ?? ''} ${r.currency ?? ''} — ${r.state}`);
  }
  const bobMail = await env.smtp.waitFor((m) => m.to.includes(emailB), 30_000);
  log(`email        to ${emailB}: "${bobMail.subject}"`);
  const referrerMail = env.smtp.messages.filter((m) => m.to.includes(emailA)).at(-1);
  if (referrerMail) log(`email        to ${emailA}: "${referrerMail.subject}"`);

  // 7. Analytics from ClickHouse once the drainer has written the batch.
  const funnel = await waitUntil(
    'funnel to show the signup',
    async () => {
      const r = await call<{ funnel: JourneyReport['funnel'] }>(
        base,
        'GET',
        `/v1/analytics/funnel?campaign_id=${campaignId}`,
        { key: sk },
      );
      return r.status === 200 && r.body.funnel.signed_up >= 1 && r.body.funnel.clicked >= 1
        ? r.body.funnel
        : undefined;
    },
    30_000,
    500,
  );
  log(
    `analytics    funnel: shared ${funnel.shared} → clicked ${funnel.clicked} → signed up ${funnel.signed_up} → converted ${funnel.converted}`,
  );

  const attributedTo =
    (journeyB as { journey?: { vars?: { attribution?: { referrer_id?: string } } } }).journey?.vars
      ?.attribution?.referrer_id ?? null;
  return {
    clientId,
    campaignId,
    version: deployed.body.version,
    userA: { code: codeA, link: linkA, email: { subject: mail.subject, body } },
    userB: { code: '', attributedTo },
    rewardsA,
    rewardsB,
    duplicate: { status: duplicate.status, body: duplicate.body },
    funnel,
    journeyA,
    journeyB,
  };
}
