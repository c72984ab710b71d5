import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openTestPlatform, type TestPlatform } from '../test/support/platform.ts';
import { type createPlatform, SERVICE_NAMES, type ServiceName } from './app.ts';

/** One unauthenticated request per service that only that service answers (401 = mounted, 404 = not). */
const PROBES: Record<ServiceName, [method: string, path: string]> = {
  'client-management': ['GET', '/v1/admin/clients'],
  campaign: ['GET', '/v1/campaigns'],
  workflow: ['GET', '/v1/journeys/cmp_x/user-1'],
  event: ['POST', '/v1/events'],
  referral: ['GET', '/v1/referrals/codes/ABCDEFGH'],
  reward: ['GET', '/v1/rewards'],
  analytics: ['GET', '/v1/analytics/funnel'],
  notification: ['GET', '/v1/notifications/participants/p1'],
};

describe('the eight services', () => {
  let env: TestPlatform;
  let build: (only?: readonly ServiceName[]) => ReturnType<typeof createPlatform>;

  before(async () => {
    env = await openTestPlatform();
    build = (only) => env.build(only ? { only } : {});
  });
  after(() => env.close());

  it('mount together in one app, each answering its own routes', async () => {
    const { app } = build();
    for (const name of SERVICE_NAMES) {
      const [method, path] = PROBES[name];
      const res = await app.request(path, { method });
      assert.equal(res.status, 401, `${name}: ${method} ${path} → ${res.status}`);
    }
    assert.equal((await app.request('/health')).status, 200);
  });

  for (const name of SERVICE_NAMES) {
    it(`${name} runs alone and serves nothing of the others`, async () => {
      const { app, apps } = build([name]);
      assert.deepEqual(Object.keys(apps), [name]);
      const [method, path] = PROBES[name];
      assert.equal((await app.request(path, { method })).status, 401);
      for (const other of SERVICE_NAMES.filter((n) => n !== name)) {
        const [m, p] = PROBES[other];
        assert.equal(
          (await app.request(p, { method: m })).status,
          404,
          `${name} alone must not serve ${other}`,
        );
      }
    });
  }
});
