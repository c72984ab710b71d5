import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { CampaignRef, Plan } from '../../contract/plan.ts';
import { createTemporalClient } from '../../engine/client.ts';
import { createRouter, type DeployedCampaigns } from '../../engine/router.ts';
import { ensureSearchAttributes } from '../../engine/search-attributes.ts';
import { handPlan, testEvent, waitStep } from '../../test/support/engine/plans.ts';
import { fakeResolver } from '../../test/support/event.ts';
import { loadConfig } from '../platform/config.ts';
import { createWorkflowApp } from './index.ts';
import { queryLiteral, visibilityQuery } from './list.ts';

/**
 * GET /v1/journeys against the stack's real Temporal dev server: journeys started by the router with
 * their search attributes (no worker polls this task queue, so they stay running until terminated).
 */
const run = randomUUID().slice(0, 8);
const clientA = `cli_list_a_${run}`;
const clientB = `cli_list_b_${run}`;
const taskQueue = `journeys-list-${run}`;
const plan: Plan = handPlan([waitStep({ id: 'forever', events: ['never'], timeoutMs: '30d' })], {
  trigger: { events: ['signup'], journey: { var: 'event.participant_id' } },
});
const campaign = (clientId: string, campaignId: string): CampaignRef => ({
  clientId,
  campaignId,
  version: 1,
  pulse: 'signup',
});
const deployed: DeployedCampaigns = {
  async forEvent(clientId, name) {
    if (name !== 'signup') return [];
    if (clientId === clientA)
      return [
        { campaign: campaign(clientA, 'camp-one'), plan },
        { campaign: campaign(clientA, 'camp-two'), plan },
      ];
    return clientId === clientB ? [{ campaign: campaign(clientB, 'camp-one'), plan }] : [];
  },
};

type Page = {
  data: {
    workflow_id: string;
    campaign_id: string;
    participant_id: string;
    journey_key: string;
    pulse: string;
    correlation_id: string | null;
    status: string;
    started_at: string;
  }[];
  has_more: boolean;
  next_cursor: string | null;
};

describe('GET /v1/journeys (Temporal visibility, real dev server)', () => {
  let temporal: Client;
  let app: ReturnType<typeof createWorkflowApp>;
  const started: string[] = [];
  const get = async (query: string, key = 'sk_a') => {
    const res = await app.request(`/v1/journeys${query}`, { headers: { authorization: `Bearer ${key}` } });
    return {
      status: res.status,
      body: (await res.json()) as Page & { error?: { details?: { path: string }[] } },
    };
  };
  /** Visibility is eventually consistent: poll until the listing shows what was started. */
  const until = async (query: string, n: number, key = 'sk_a') => {
    for (let i = 0; i < 100; i++) {
      const r = await get(query, key);
      if (r.status === 200 && r.body.data.length >= n) return r;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.fail(`listing ${query} never showed ${n} journeys`);
  };

  before(async () => {
    const config = loadConfig();
    temporal = await createTemporalClient(config.temporalAddress, config.temporalNamespace);
    assert.equal(await ensureSearchAttributes(temporal, config.temporalNamespace), true);
    app = createWorkflowApp({
      temporal,
      resolver: fakeResolver({ sk_a: { clientId: clientA }, sk_b: { clientId: clientB } }),
      cursorKey: 'cursor-key-of-this-test',
    });
    const router = createRouter({ client: temporal, taskQueue, campaigns: deployed, searchAttributes: true });
    for (const [client, participant] of [
      [clientA, 'ann'],
      [clientA, 'bob'],
      [clientB, 'ann'],
    ] as const) {
      const results = await router.route(
        testEvent('signup', { client_id: client, participant_id: participant }),
        {
          correlationId: `corr-${run}-${client}-${participant}`,
        },
      );
      for (const r of results) started.push(r.workflowId!);
    }
  });
  after(async () => {
    for (const id of started)
      await temporal.workflow
        .getHandle(id)
        .terminate('test done')
        .catch(() => {});
    await temporal?.connection.close();
  });

  it('lists only the caller’s journeys, with their search attributes', async () => {
    const { body } = await until('', 4);
    assert.equal(body.data.length, 4);
    for (const j of body.data) {
      assert.ok(j.workflow_id.startsWith(`pulse:${clientA}:`), j.workflow_id);
      assert.equal(j.pulse, 'signup');
      assert.equal(j.status, 'running');
      assert.equal(j.journey_key, j.participant_id);
      assert.equal(j.correlation_id, `corr-${run}-${clientA}-${j.participant_id}`);
      assert.match(j.started_at, /^\d{4}-/);
    }
    const b = await until('', 1, 'sk_b');
    assert.deepEqual(
      b.body.data.map((j) => j.workflow_id),
      [`pulse:${clientB}:camp-one:ann`],
    );
  });

  it('filters by campaign, participant and status', async () => {
    const one = await until('?campaign_id=camp-two', 2);
    assert.deepEqual(one.body.data.map((j) => j.participant_id).sort(), ['ann', 'bob']);
    assert.ok(one.body.data.every((j) => j.campaign_id === 'camp-two'));
    const ann = await until('?participant_id=ann&campaign_id=camp-one', 1);
    assert.deepEqual(
      ann.body.data.map((j) => j.workflow_id),
      [`pulse:${clientA}:camp-one:ann`],
    );
    await temporal.workflow.getHandle(`pulse:${clientA}:camp-one:bob`).terminate('test: filter by status');
    const terminated = await until('?status=terminated', 1);
    assert.deepEqual(
      terminated.body.data.map((j) => [j.workflow_id, j.status]),
      [[`pulse:${clientA}:camp-one:bob`, 'terminated']],
    );
    const running = await until('?status=running', 3);
    assert.equal(running.body.data.length, 3);
  });

  it('pages with limit and starting_after (Temporal’s page token as the cursor)', async () => {
    await until('', 4);
    const first = await get('?limit=3');
    assert.equal(first.status, 200);
    assert.equal(first.body.data.length, 3);
    assert.equal(first.body.has_more, true);
    assert.ok(first.body.next_cursor);
    const second = await get(`?limit=3&starting_after=${first.body.next_cursor}`);
    assert.equal(second.status, 200);
    const seen = [...first.body.data, ...second.body.data].map((j) => j.workflow_id);
    assert.equal(new Set(seen).size, 4, `every journey once across the pages: ${seen.join(', ')}`);
    if (second.body.has_more) {
      // Some stores hand out a token for an empty last page; following it ends the listing.
      const third = await get(`?limit=3&starting_after=${second.body.next_cursor}`);
      assert.equal(third.body.data.length, 0);
      assert.equal(third.body.has_more, false);
    } else assert.equal(second.body.next_cursor, null);
  });

  it('refuses bad parameters with 400 naming them, never a 5xx', async () => {
    for (const [query, path] of [
      ['?limit=0', 'limit'],
      ['?limit=101', 'limit'],
      ['?limit=abc', 'limit'],
      ['?status=sleeping', 'status'],
      ['?starting_after=not%20a%20cursor!', 'starting_after'],
      ['?starting_after=AAAA', 'starting_after'],
      ['?starting_after=AAAA.AAAAAAAAAAAAAAAAAAAAAA', 'starting_after'],
      [`?participant_id=${'x'.repeat(300)}`, 'participant_id'],
    ] as const) {
      const r = await get(query);
      assert.equal(r.status, 400, `${query} → ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error?.details?.[0]?.path, path, query);
    }
    assert.equal((await get('', 'sk_unknown')).status, 401);
  });

  it('a cursor works only with the filters (and the client) it was issued for', async () => {
    await until('', 4);
    const first = await get('?limit=1');
    assert.ok(first.body.next_cursor);
    const elsewhere = await get(`?limit=1&status=running&starting_after=${first.body.next_cursor}`);
    assert.equal(elsewhere.status, 400);
    const otherClient = await get(`?limit=1&starting_after=${first.body.next_cursor}`, 'sk_b');
    assert.equal(otherClient.status, 400);
  });

  it('escapes filter values: a quote in a value cannot widen the query to another client', async () => {
    const sneaky = `ann" OR client_id = "${clientB}`;
    const r = await get(`?participant_id=${encodeURIComponent(sneaky)}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data, []);
    assert.equal(queryLiteral('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(
      visibilityQuery('cli_1', { participantId: sneaky, status: 'running' }),
      `client_id = "cli_1" AND participant_id = "ann\\" OR client_id = \\"${clientB}" AND ExecutionStatus = "Running" AND (ParentWorkflowId IS NULL OR ParentWorkflowId STARTS_WITH "pulse-anniversary:")`,
    );
  });
});
