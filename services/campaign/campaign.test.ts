import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { ErrorDetail } from '../../contract/errors.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { testSecretBox } from '../../test/support/secret-box.ts';
import { migrations as cmMigrations, createClientManagement } from '../client-management/index.ts';
import { type CampaignHooks, createCampaignApp, createDeployedCampaigns, migrations } from './index.ts';

const SIGNUP = await readFile(new URL('../../campaigns/signup.pulse.yaml', import.meta.url), 'utf8');
const CONVERSION = await readFile(new URL('../../campaigns/conversion.pulse.yaml', import.meta.url), 'utf8');

describe('campaign service', () => {
  let t: TestDatabase;
  let app: ReturnType<typeof createCampaignApp>;
  let keyA: string;
  let keyB: string;
  let clientA: string;
  const deployed: string[] = [];
  const statuses: string[] = [];
  let rewardProblems: ErrorDetail[] = [];

  before(async () => {
    t = await createTestDatabase({ 'client-management': cmMigrations, campaign: migrations });
    const cm = createClientManagement(t.db, { hashSecret: 's', cacheMs: 0, secretBox: testSecretBox() });
    const a = await cm.createClient({ name: 'A' });
    const b = await cm.createClient({ name: 'B' });
    [keyA, keyB, clientA] = [a.secret.key, b.secret.key, a.client.id];
    const hooks: CampaignHooks = {
      checkPlan: () => rewardProblems,
      onDeployed: async (d) => void deployed.push(`${d.campaign.campaignId}@${d.campaign.version}`),
      onStatusChanged: async (s) => void statuses.push(`${s.campaignId}:${s.status}`),
    };
    app = createCampaignApp({ db: t.db, resolver: cm.resolver, internalToken: 'tok', hooks });
  });
  after(() => t.drop());

  const deploy = (key: string, source: string, extra: Record<string, unknown> = {}) =>
    app.request('/v1/campaigns/deploy', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ source, file: 'campaigns/x.pulse.yaml', ...extra }),
    });
  const get = (key: string, path: string) =>
    app.request(path, { headers: { authorization: `Bearer ${key}` } });

  it('deploys YAML as version 1, is idempotent for the same plan, and versions changes', async () => {
    const first = await deploy(keyA, SIGNUP);
    assert.equal(first.status, 201);
    const v1 = (await first.json()) as { campaign_id: string; version: number };
    assert.equal(v1.version, 1);
    const again = await deploy(keyA, SIGNUP);
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { version: number }).version, 1);
    const changed = await deploy(keyA, SIGNUP, { settings: { double_sided: false } });
    assert.equal(changed.status, 201);
    assert.equal(
      ((await changed.json()) as { version: number }).version,
      2,
      'changed settings make a new version',
    );
    const sameAgain = await deploy(keyA, SIGNUP, { settings: { double_sided: false } });
    assert.deepEqual([sameAgain.status, ((await sameAgain.json()) as { version: number }).version], [200, 2]);
    assert.deepEqual(deployed, [`${v1.campaign_id}@1`, `${v1.campaign_id}@2`]);
    const versions = (await (await get(keyA, `/v1/campaigns/${v1.campaign_id}`)).json()) as {
      versions: { version: number }[];
    };
    assert.deepEqual(
      versions.versions.map((v) => v.version),
      [2, 1],
    );
    const stored = (await (await get(keyA, `/v1/campaigns/${v1.campaign_id}/versions/1`)).json()) as {
      version: { source: string; plan: { pulse: string } };
    };
    assert.equal(stored.version.source, SIGNUP);
    assert.equal(stored.version.plan.pulse, 'signup');
  });

  it('answers 400 with file:line:column for a broken definition and stores nothing', async () => {
    const broken = SIGNUP.replace('do: GenerateReferralAssets', 'do: GenerateReferalAssets');
    const res = await deploy(keyA, broken);
    assert.equal(res.status, 400);
    const body = (await res.json()) as {
      error: { code: string; details: { path: string; message: string }[] };
    };
    assert.equal(body.error.code, 'VALIDATION_FAILED');
    const d = body.error.details.find((x) => x.message.includes('UNKNOWN_ACTIVITY'));
    assert.ok(d, JSON.stringify(body.error.details));
    assert.match(d.message, /^campaigns\/x\.pulse\.yaml:\d+:\d+ UNKNOWN_ACTIVITY/);
    const bad = await deploy(keyA, SIGNUP, { settings: { double_sided: 'yes' } });
    assert.equal(bad.status, 400);
    const missing = await app.request('/v1/campaigns/deploy', {
      method: 'POST',
      headers: { authorization: `Bearer ${keyA}`, 'content-type': 'application/json' },
      body: JSON.stringify({ file: 'x' }),
    });
    assert.equal(
      ((await missing.json()) as { error: { details: { path: string }[] } }).error.details[0]?.path,
      'source',
    );
  });

  it('refuses a deploy whose rewards the reward service would reject, before storing a version', async () => {
    rewardProblems = [{ path: 'rewards.signup_bonus', message: 'bad rule' }];
    try {
      const before = deployed.length;
      const res = await deploy(keyA, CONVERSION);
      assert.equal(res.status, 400);
      assert.equal(deployed.length, before);
      const list = (await (await get(keyA, '/v1/campaigns')).json()) as { data: { pulse: string }[] };
      assert.ok(!list.data.some((c) => c.pulse === 'conversion'));
    } finally {
      rewardProblems = [];
    }
  });

  it('keeps tenants apart and needs a manager to deploy', async () => {
    const list = (await (await get(keyB, '/v1/campaigns')).json()) as { data: unknown[] };
    assert.equal(list.data.length, 0);
    const [mine] = ((await (await get(keyA, '/v1/campaigns')).json()) as { data: { id: string }[] }).data;
    assert.equal((await get(keyB, `/v1/campaigns/${mine?.id}`)).status, 404);
    assert.equal((await get(keyB, `/v1/campaigns/${mine?.id}/versions/1`)).status, 404);
    assert.equal((await deploy('pk_nope', SIGNUP)).status, 401);
  });

  it('gives the router current triggers and every version still waiting, and reports status changes', async () => {
    const res = await deploy(keyA, CONVERSION);
    const { campaign_id } = (await res.json()) as { campaign_id: string };
    const source = createDeployedCampaigns(t.db, { cacheMs: 0 });
    const starts = await source.forEvent(clientA, 'user_signed_up');
    assert.deepEqual(
      starts.map((s) => [s.campaign.pulse, s.campaign.version]),
      [['signup', 2]],
    );
    assert.deepEqual(await source.forEvent(clientA, 'page_viewed'), []);
    assert.deepEqual(await source.forEvent('someone-else', 'user_signed_up'), []);
    const paused = await app.request(`/v1/campaigns/${campaign_id}/status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyA}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'paused' }),
    });
    assert.equal(paused.status, 200);
    assert.deepEqual(statuses, [`${campaign_id}:paused`]);
    const conversionTriggers = (await source.forEvent(clientA, 'purchase_completed')).filter(
      (s) => s.campaign.pulse === 'conversion',
    );
    assert.equal(conversionTriggers.length, 0, 'a paused campaign starts no journeys');
  });
});

describe('campaign deploy with custom events', () => {
  let t: TestDatabase;
  let app: ReturnType<typeof createCampaignApp>;
  let key: string;
  let clientId: string;
  const apiDeclared = new Map<string, string[]>();
  const stored: { clientId: string; campaignKey: string; names: string[] }[] = [];

  before(async () => {
    t = await createTestDatabase({ 'client-management': cmMigrations, campaign: migrations });
    const cm = createClientManagement(t.db, { hashSecret: 's', cacheMs: 0, secretBox: testSecretBox() });
    const a = await cm.createClient({ name: 'A' });
    [key, clientId] = [a.secret.key, a.client.id];
    const hooks: CampaignHooks = {
      checkPlan: () => [],
      onDeployed: async () => {},
      onStatusChanged: async () => {},
      declaredEvents: async (id) => apiDeclared.get(id) ?? [],
      declareEvents: async (input) =>
        void stored.push({
          clientId: input.clientId,
          campaignKey: input.campaignKey,
          names: Object.keys(input.events),
        }),
    };
    app = createCampaignApp({ db: t.db, resolver: cm.resolver, internalToken: 'tok', hooks });
  });
  after(() => t.drop());

  const source = `pulse: nps
id: nps-follow-up
version: 1
title: NPS follow-up
trigger: { event: custom_nps_answered }
events:
  custom_nps_answered:
    properties: { type: object, properties: { score: { type: integer, minimum: 0, maximum: 10 } } }
steps:
  - id: wait
    wait: custom_nps_commented
    timeout: 3d
  - id: done
    end: completed
`;
  const deploy = () =>
    app.request('/v1/campaigns/deploy', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ source, file: 'nps.pulse.yaml' }),
    });

  it('checks names against the client’s API declarations and hands the file’s declarations over', async () => {
    const refused = await deploy();
    assert.equal(refused.status, 400);
    const body = (await refused.json()) as { error: { details: { path: string; message: string }[] } };
    assert.deepEqual(
      body.error.details.map((d) => d.path),
      ['steps[0].wait'],
    );
    assert.match(body.error.details[0]?.message ?? '', /nps\.pulse\.yaml:11:11 UNKNOWN_EVENT/);
    assert.deepEqual(stored, [], 'nothing is declared by a refused deploy');
    apiDeclared.set(clientId, ['custom_nps_commented']);
    const ok = await deploy();
    assert.equal(ok.status, 201);
    assert.deepEqual(stored, [{ clientId, campaignKey: 'nps-follow-up', names: ['custom_nps_answered'] }]);
  });
});

describe('campaign deploy checks the templates it sends', () => {
  let t: TestDatabase;
  let app: ReturnType<typeof createCampaignApp>;
  let key: string;
  const published: string[] = [];

  before(async () => {
    t = await createTestDatabase({ 'client-management': cmMigrations, campaign: migrations });
    const cm = createClientManagement(t.db, { hashSecret: 's', cacheMs: 0, secretBox: testSecretBox() });
    key = (await cm.createClient({ name: 'T' })).secret.key;
    const hooks: CampaignHooks = {
      checkPlan: () => [],
      onDeployed: async () => {},
      onStatusChanged: async () => {},
      clientTemplates: async () => [...published],
    };
    app = createCampaignApp({ db: t.db, resolver: cm.resolver, internalToken: 'tok', hooks });
  });
  after(() => t.drop());

  const source = `pulse: promo
id: spring-promo
version: 1
title: Spring promo
trigger: { event: user_signed_up }
steps:
  - id: hello
    do: SendNotification
    with:
      participant_id: { var: event.participant_id }
      template: spring-promo
`;
  const deploy = () =>
    app.request('/v1/campaigns/deploy', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ source, file: 'promo.pulse.yaml' }),
    });

  it('refuses a template that is neither a built-in file nor one of the client’s, with its position', async () => {
    const refused = await deploy();
    assert.equal(refused.status, 400);
    const body = (await refused.json()) as { error: { details: { path: string; message: string }[] } };
    assert.deepEqual(
      body.error.details.map((d) => d.path),
      ['steps[0].with.template'],
    );
    assert.match(body.error.details[0]?.message ?? '', /promo\.pulse\.yaml:11:17 TEMPLATE_MISSING/);
    published.push('spring-promo');
    assert.equal((await deploy()).status, 201);
  });
});
