import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Runtime, startRuntime } from '../app/runtime.ts';
import { buildSdk } from '../scripts/build-sdk.ts';
import { call, waitUntil } from '../scripts/journey/http.ts';
import { createIdentityToken } from '../sdk/node/index.ts';
import { chSql, createClickHouse, ident } from '../services/platform/clickhouse.ts';
import { loadConfig } from '../services/platform/config.ts';
import { dropDatabase } from '../services/platform/db.ts';
import { jsonOf, pulseSpawned, REPO } from './support/cli.ts';
import { freePort } from './support/net.ts';

/**
 * README "Run Pulse for your company", followed step by step from an empty database with the `pulse`
 * commands a person would type (spawned bin/pulse.mjs), the platform as `npm start` runs it, a real
 * development mailbox (maildev, on ports of its own) and plain HTTP for what a website and its server do.
 */

interface Mailbox {
  smtpPort: number;
  webUrl: string;
  stop(): Promise<void>;
}

/** The development mailbox as the stack runs it (scripts/stack/mailbox.ts), on free ports, mail kept in memory. */
async function startMailbox(): Promise<Mailbox> {
  const [smtpPort, webPort] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn(
    process.execPath,
    [
      `${REPO}node_modules/maildev/bin/maildev`,
      '--smtp',
      String(smtpPort),
      '--web',
      String(webPort),
      '--ip',
      '127.0.0.1',
      '--silent',
    ],
    { stdio: 'ignore' },
  );
  const webUrl = `http://127.0.0.1:${webPort}`;
  await waitUntil(
    'maildev to answer',
    async () =>
      (await fetch(`${webUrl}/healthz`).catch(() => undefined))?.status === 200 ? true : undefined,
    30_000,
  );
  return {
    smtpPort,
    webUrl,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

interface MaildevMail {
  id: string;
  subject: string;
  to: { address: string }[];
  text?: string;
  html?: string;
}

describe('operator guide: from an empty database to a live campaign with a reward and an email', () => {
  const suffix = randomBytes(5).toString('hex');
  const databaseUrl = (() => {
    const u = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/pulse');
    u.pathname = `/pulse_guide_${suffix}`;
    return u.toString();
  })();
  const clickhouseDatabase = `pulse_guide_${suffix}`;
  const clickhouseUrl = process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
  let mailbox: Mailbox;
  let runtime: Runtime;
  /** What the operator's shell holds: the database for `admin init`, then PULSE_URL and a key. */
  let shell: Record<string, string>;
  /** The SDK build the platform serves (`npm start` builds it when missing). */
  let sdkDir: string | undefined;

  before(async () => {
    mailbox = await startMailbox();
  });
  after(async () => {
    await runtime?.stop();
    await mailbox?.stop();
    await dropDatabase(databaseUrl).catch(() => undefined);
    if (sdkDir) await rm(sdkDir, { recursive: true, force: true });
    const ch = createClickHouse(clickhouseUrl, 'default');
    await ch.command(chSql`DROP DATABASE IF EXISTS ${ident(clickhouseDatabase)}`);
    await ch.close();
  });

  it('walks every step of the guide', async () => {
    const port = await freePort();
    // `npm start` builds the browser SDK first when it is missing; the test builds its own copy.
    sdkDir = await mkdtemp(join(tmpdir(), 'pulse-guide-sdk-'));
    await buildSdk(`${sdkDir}/`);
    shell = {
      PULSE_SDK_DIR: sdkDir,
      DATABASE_URL: databaseUrl,
      CLICKHOUSE_URL: clickhouseUrl,
      CLICKHOUSE_DATABASE: clickhouseDatabase,
      ...(process.env.TEMPORAL_ADDRESS ? { TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS } : {}),
      SMTP_PORT: String(mailbox.smtpPort),
      PORT: String(port),
      PULSE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      PULSE_TASK_QUEUE: `pulse-guide-${suffix}`,
    };

    // 1. `pulse migrate` on a database that does not exist yet (npm start would do the same first).
    const migrate = await pulseSpawned(['migrate'], shell);
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.match(migrate.stderr, /migrated postgres services: client-management, /);

    // 2. `npm start`: the whole platform on its port, mail to the development mailbox.
    runtime = await startRuntime({ config: loadConfig({ ...process.env, ...shell }), port });
    const url = runtime.url;

    // 3. `pulse admin init`: the first platform-admin key, printed once.
    const init = await pulseSpawned(['admin', 'init'], shell);
    assert.equal(init.code, 0, init.stderr);
    const adminKey = /^export PULSE_API_KEY=(ak_\S+)$/m.exec(init.stdout)?.[1];
    assert.ok(adminKey, init.stdout);
    const asAdmin = { ...shell, PULSE_URL: url, PULSE_API_KEY: adminKey };

    // 4. `pulse client create` (its owner key comes with it), then `pulse key create` twice.
    const client = await pulseSpawned(['client', 'create', 'Acme Shop', '-o', 'json'], asAdmin);
    assert.equal(client.code, 0, client.stderr);
    const clientId = jsonOf<{ client: { id: string } }>(client).client.id;
    const secretRun = await pulseSpawned(
      [
        'key',
        'create',
        '--client',
        clientId,
        '--type',
        'secret',
        '--role',
        'admin',
        '--name',
        'shop backend',
        '-o',
        'json',
      ],
      asAdmin,
    );
    assert.equal(secretRun.code, 0, secretRun.stderr);
    const secret = jsonOf<{ key: { key: string; signing_secret: string } }>(secretRun).key;
    const publishableRun = await pulseSpawned(
      ['key', 'create', '--client', clientId, '--type', 'publishable', '--name', 'website', '-o', 'json'],
      asAdmin,
    );
    assert.equal(publishableRun.code, 0, publishableRun.stderr);
    const pk = jsonOf<{ key: { key: string } }>(publishableRun).key.key;
    assert.match(pk, /^pk_/);
    const asClient = { ...shell, PULSE_URL: url, PULSE_API_KEY: secret.key };

    // 4b. Invite a member by email; the link in the development mailbox signs them in with the role.
    const invited = await call<{ invite: { id: string } }>(url, 'POST', '/v1/member-invites', {
      key: secret.key,
      body: { email: `ops.${suffix}@acme.example`, role: 'admin' },
    });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const inviteMail = await waitUntil(
      'the invite email',
      async () => {
        const mails = (await (await fetch(`${mailbox.webUrl}/email`)).json()) as MaildevMail[];
        return mails.find((m) => m.to.some((t) => t.address === `ops.${suffix}@acme.example`));
      },
      30_000,
      500,
    );
    const inviteToken = /invites\/accept\?token=([A-Za-z0-9._%-]+)/.exec(inviteMail.text ?? '')?.[1];
    assert.ok(inviteToken, `the invite email carries its link:\n${inviteMail.text}`);
    const joined = await call<{ role: string; client: { id: string } }>(
      url,
      'POST',
      '/v1/auth/invites/accept',
      {
        body: { token: decodeURIComponent(inviteToken) },
      },
    );
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    assert.deepEqual([joined.body.role, joined.body.client.id], ['admin', clientId]);

    // 5. `pulse campaign deploy campaigns/signup.pulse.yaml` (dry run first, then for real).
    const dry = await pulseSpawned(
      ['campaign', 'deploy', 'campaigns/signup.pulse.yaml', '--dry-run'],
      asClient,
    );
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /nothing was deployed/);
    const deploy = await pulseSpawned(
      ['campaign', 'deploy', 'campaigns/signup.pulse.yaml', '-o', 'json'],
      asClient,
    );
    assert.equal(deploy.code, 0, deploy.stderr);
    const campaignId = jsonOf<{ campaign_id: string }>(deploy).campaign_id;
    const list = await pulseSpawned(['campaign', 'list'], asClient);
    assert.match(list.stdout, new RegExp(`^${campaignId} +signup .* active `, 'm'));

    // 5. The SDK on a page: the embed snippet for the publishable key (the guide's curl), which loads the
    //    versioned SDK file from the platform under its integrity hash.
    const snippetRes = await fetch(`${url}/v1/sdk/snippet?key=${pk}`);
    assert.equal(snippetRes.status, 200);
    const snippet = (await snippetRes.json()) as { snippet: string; sdk_url: string; integrity: string };
    assert.ok(snippet.snippet.includes(snippet.sdk_url), 'the snippet loads the versioned file');
    assert.ok(snippet.snippet.includes(snippet.integrity), 'under its integrity hash');
    assert.ok(snippet.snippet.includes(pk), 'with the publishable key');
    const sdkFile = await fetch(snippet.sdk_url);
    assert.equal(sdkFile.status, 200);
    assert.match(sdkFile.headers.get('cache-control') ?? '', /immutable/);
    assert.match(await sdkFile.text(), /Pulse/);

    // 6. The website reports a signup (the curl of the guide): publishable key, the user's identity
    //    vouched for by the shop's server with the secret key's signing secret.
    const run = randomUUID().slice(0, 8);
    const ann = { id: `ann-${run}`, email: `ann.${run}@example.test` };
    const track = async (participant: string | undefined, event: Record<string, unknown>) => {
      const r = await call(url, 'POST', '/v1/events', {
        key: pk,
        headers: participant
          ? { 'x-pulse-identity': createIdentityToken(secret.signing_secret, participant) }
          : {},
        body: {
          event_id: randomUUID(),
          occurred_at: new Date().toISOString(),
          campaign_id: campaignId,
          ...event,
        },
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
    };
    await track(ann.id, {
      event: 'user_signed_up',
      participant_id: ann.id,
      traits: { email: ann.email, name: 'Ann' },
    });

    // 7. `pulse journey show <campaign> <participant>` until her journey has finished.
    const journey = await waitUntil(
      "Ann's journey to complete",
      async () => {
        const r = await pulseSpawned(['journey', 'show', campaignId, ann.id, '-o', 'json'], asClient);
        if (r.code !== 0) return undefined;
        const j = jsonOf<{ execution_status: string }>(r);
        return j.execution_status === 'COMPLETED' ? j : undefined;
      },
      120_000,
      1_000,
    );
    assert.equal(journey.execution_status, 'COMPLETED');
    // `pulse journey list` finds it through the journeys' search attributes (visibility may lag a moment).
    const listed = await waitUntil(
      'the journey in `pulse journey list`',
      async () => {
        const r = await pulseSpawned(
          ['journey', 'list', '--campaign', campaignId, '--status', 'completed', '-o', 'json'],
          asClient,
        );
        if (r.code !== 0) return undefined;
        const rows = jsonOf<{ data: { participant_id: string; pulse: string }[] }>(r).data;
        return rows.find((row) => row.participant_id === ann.id);
      },
      30_000,
      500,
    );
    assert.equal(listed.pulse, 'signup');

    // 8. The welcome email in the development mailbox (maildev's REST API, GET /email), with her link.
    const welcome = await waitUntil(
      "Ann's welcome email",
      async () => {
        const mails = (await (await fetch(`${mailbox.webUrl}/email`)).json()) as MaildevMail[];
        return mails.find((m) => m.to.some((t) => t.address === ann.email));
      },
      30_000,
      500,
    );
    const text = `${welcome.text ?? ''}\n${welcome.html ?? ''}`;
    const link = /https?:\/\/[^\s"<]+\/r\/[^\s"<]+?\/([A-Z0-9]{8})/.exec(text);
    assert.ok(link, `welcome email carries a referral link:\n${text}`);
    const code = link[1] as string;

    // 9. A friend clicks the link and signs up with Ann's code: both earn the signup reward.
    const bob = { id: `bob-${run}`, email: `bob.${run}@example.test` };
    const visitor = `anon-${run}`;
    await track(undefined, {
      event: 'referral_clicked',
      anonymous_id: visitor,
      properties: { referral_code: code },
    });
    await track(bob.id, {
      event: 'user_signed_up',
      participant_id: bob.id,
      anonymous_id: visitor,
      properties: { referral_code: code },
      traits: { email: bob.email, name: 'Bob' },
    });

    // 10. The rewards over the API (the shop's secret key).
    const rewardsOf = (participant: string) =>
      waitUntil(
        `a reward for ${participant}`,
        async () => {
          const r = await call<{ data: { participant_id: string; side: string; state: string }[] }>(
            url,
            'GET',
            `/v1/rewards?participant_id=${participant}`,
            { key: secret.key },
          );
          return r.status === 200 && r.body.data.length > 0 ? r.body.data : undefined;
        },
        120_000,
        1_000,
      );
    const [annRewards, bobRewards] = [await rewardsOf(ann.id), await rewardsOf(bob.id)];
    assert.deepEqual(
      annRewards.map((r) => [r.participant_id, r.side]),
      [[ann.id, 'referrer']],
    );
    assert.deepEqual(
      bobRewards.map((r) => [r.participant_id, r.side]),
      [[bob.id, 'referee']],
    );
  });
});
