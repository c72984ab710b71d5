// biome-ignore-all lint/suspicious/noThenProperty: `then` is the plan's field name (approval/wait steps), not a thenable
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { JourneyTrace, JourneyTraceEntry } from '../../contract/generated/api.generated.ts';
import type { ApprovalStep, CampaignRef, Plan } from '../../contract/plan.ts';
import { createTemporalClient } from '../../engine/client.ts';
import { SEARCH_ATTRIBUTES as SEARCH_KEYS } from '../../engine/interpreter/journey-attributes.ts';
import { quietTemporalRuntime } from '../../engine/quiet-runtime.ts';
import { createRouter, type DeployedCampaigns } from '../../engine/router.ts';
import { ensureSearchAttributes } from '../../engine/search-attributes.ts';
import { createFakeActivities, type FakeOverrides } from '../../engine/simulation/fake-activities.ts';
import { createWorker } from '../../engine/worker.ts';
import { handPlan, testEvent, waitStep } from '../../test/support/engine/plans.ts';
import { fakeResolver } from '../../test/support/event.ts';
import { loadConfig } from '../platform/config.ts';
import { createWorkflowApp } from './index.ts';
import { summarize } from './redact.ts';

/**
 * The trace route and the approval inbox against the stack's real Temporal dev server: journeys started
 * and signalled by the real router, run by a real worker (the generic runCampaign workflow) whose
 * activities are the simulator's fakes of the catalogue, so the history holds real activity attempts,
 * timers, signals and updates.
 */
const run = randomUUID().slice(0, 8);
const clientA = `cli_trace_a_${run}`;
const clientB = `cli_trace_b_${run}`;
const taskQueue = `journeys-trace-${run}`;

/** An activity that fails once (retried), one whose result holds personal data, a wait, a sleep. */
const journeyPlan: Plan = handPlan(
  [
    {
      id: 'config',
      kind: 'do',
      activity: 'FetchCampaignConfig',
      with: {},
      retry: { maxAttempts: 3, initialIntervalMs: 100, backoffCoefficient: 1 },
    },
    {
      id: 'assets',
      kind: 'do',
      activity: 'GenerateReferralAssets',
      with: { participant_id: { var: 'event.participant_id' } },
      as: 'assets',
    },
    waitStep({ id: 'purchase', events: ['purchase'], timeoutMs: '30d' }),
    { id: 'cool-off', kind: 'sleep', durationMs: 300 },
    { id: 'done', kind: 'end', status: 'completed' },
  ],
  { trigger: { events: ['signup'], journey: { var: 'event.participant_id' } } },
);

const review: ApprovalStep = {
  id: 'review',
  kind: 'approval',
  title: 'Approve the bonus',
  details: { participant: { var: 'event.participant_id' } },
  roles: ['manager'],
  timeoutMs: '7d',
  then: [],
  onReject: [],
  onTimeout: [],
};
const approvalPlan: Plan = handPlan([review], {
  trigger: { events: ['bonus_asked'], journey: { var: 'event.participant_id' } },
});

/** The same approval inside a call step's child, and two calls deep (a child that calls a child). */
const kidPlan: Plan = handPlan(
  [
    { id: 'ask-review', kind: 'call', plan: 'reviewer', input: {} },
    { id: 'done', kind: 'end', status: 'completed' },
  ],
  {
    trigger: { events: ['kid_bonus_asked'], journey: { var: 'event.participant_id' } },
    children: { reviewer: handPlan([review], { id: 'reviewer' }) },
  },
);
const nestedPlan: Plan = handPlan([{ id: 'outer', kind: 'call', plan: 'middle', input: {} }], {
  trigger: { events: ['nested_bonus_asked'], journey: { var: 'event.participant_id' } },
  children: {
    middle: handPlan([{ id: 'check', kind: 'call', plan: 'inner', input: {} }], {
      id: 'middle',
      children: { inner: handPlan([review], { id: 'inner' }) },
    }),
  },
});

const ref = (clientId: string, campaignId: string): CampaignRef => ({
  clientId,
  campaignId,
  version: 3,
  pulse: 'signup',
});
const deployed: DeployedCampaigns = {
  async forEvent(clientId, name) {
    if (clientId !== clientA && clientId !== clientB) return [];
    if (name === 'signup' || name === 'purchase')
      return [{ campaign: ref(clientId, 'camp-trace'), plan: journeyPlan }];
    if (name === 'bonus_asked') return [{ campaign: ref(clientId, 'camp-bonus'), plan: approvalPlan }];
    if (name === 'kid_bonus_asked') return [{ campaign: ref(clientId, 'camp-kid'), plan: kidPlan }];
    if (name === 'nested_bonus_asked') return [{ campaign: ref(clientId, 'camp-nest'), plan: nestedPlan }];
    return [];
  },
};

const overrides: FakeOverrides = {
  // Fails its first attempt (a message naming the participant's e-mail), succeeds on the second.
  FetchCampaignConfig: () => {
    if (Context.current().info.attempt === 1)
      throw ApplicationFailure.retryable('config lookup for ann@example.com timed out', 'UPSTREAM');
    return { active: true, status: 'active', starts_at: null, ends_at: null };
  },
  // A result with personal data and a secret, which the trace must not show.
  GenerateReferralAssets: () => ({
    code: 'REF-ANN',
    link: 'https://pulse.test/r/REF-ANN',
    email: 'ann@example.com',
    owner_id: 'ann@example.com',
    access_token: 'tok_live_secret',
    clicks: 0,
  }),
};

describe('GET /v1/journeys/:campaignId/:journeyKey/trace and GET /v1/approvals (real Temporal)', () => {
  let temporal: Client;
  let native: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let app: ReturnType<typeof createWorkflowApp>;
  let router: ReturnType<typeof createRouter>;
  let fakes: ReturnType<typeof createFakeActivities>;
  const started = new Set<string>();

  const get = async <T>(path: string, key = 'sk_a') => {
    const res = await app.request(path, { headers: { authorization: `Bearer ${key}` } });
    return {
      status: res.status,
      headers: res.headers,
      body: (await res.json()) as T & { error?: { details?: { path: string }[] } },
    };
  };
  const route = async (client: string, event: string, participant: string) => {
    const results = await router.route(testEvent(event, { client_id: client, participant_id: participant }));
    for (const r of results) if (r.workflowId) started.add(r.workflowId);
    return results;
  };
  const until = async <T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const v = await probe();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 150));
    }
    assert.fail(`timed out waiting for ${what}`);
  };
  const trace = (campaign: string, key: string, query = '', as = 'sk_a') =>
    get<JourneyTrace>(`/v1/journeys/${campaign}/${encodeURIComponent(key)}/trace${query}`, as);

  before(async () => {
    quietTemporalRuntime();
    const config = loadConfig();
    temporal = await createTemporalClient(config.temporalAddress, config.temporalNamespace);
    assert.equal(await ensureSearchAttributes(temporal, config.temporalNamespace), true);
    fakes = createFakeActivities(overrides);
    native = await NativeConnection.connect({ address: config.temporalAddress });
    worker = await createWorker({ connection: native, taskQueue, activities: fakes.activities });
    running = worker.run();
    app = createWorkflowApp({
      temporal,
      resolver: fakeResolver({
        sk_a: { clientId: clientA },
        sk_b: { clientId: clientB },
        sk_viewer: { clientId: clientA, role: 'viewer' },
      }),
      cursorKey: 'cursor-key-of-this-test',
    });
    router = createRouter({ client: temporal, taskQueue, campaigns: deployed, searchAttributes: true });
  });
  after(async () => {
    for (const id of started)
      await temporal.workflow
        .getHandle(id)
        .terminate('test done')
        .catch(() => {});
    worker?.shutdown();
    await running;
    await native?.close();
    await temporal?.connection.close();
  });

  it('traces a journey from its history: retried activity, redacted result, wait, routed event, timers, end', async () => {
    const who = `ann-${run}`;
    await route(clientA, 'signup', who);
    // The wait's timer starts once both activities are done: then the purchase is routed in.
    await until('the journey to wait', async () => {
      const t = await trace('camp-trace', who);
      return t.body.data?.some((x) => x.kind === 'timer') ? t : undefined;
    });
    const routed = await route(clientA, 'purchase', who);
    assert.equal(routed[0]?.action, 'signalled', JSON.stringify(routed));
    const done = await until('the journey to complete', async () => {
      const t = await trace('camp-trace', who, '?limit=100');
      return t.body.data?.at(-1)?.kind === 'completed' ? t : undefined;
    });
    assert.equal(done.status, 200);
    const t = done.body;
    assert.equal(t.workflow_id, `pulse:${clientA}:camp-trace:${who}`);
    assert.match(t.run_id, /^[0-9a-f-]{36}$/);
    assert.equal(t.campaign_version, 3);
    assert.equal(t.pulse, 'signup');
    assert.equal(t.plan_hash, 'test-hash');
    assert.equal(t.continued_from_run_id, null);
    assert.equal(t.truncated, false);
    assert.equal(t.has_more, false);
    const seqs = t.data.map((x) => x.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'ordered by history event id',
    );
    const kinds = t.data.map((x) => `${x.kind}:${x.name ?? ''}`);
    assert.deepEqual(kinds, [
      'started:runCampaign',
      'event:signup',
      'activity:FetchCampaignConfig',
      'activity:GenerateReferralAssets',
      'timer:timer',
      'event:purchase',
      'timer:timer',
      'completed:',
    ]);
    const [start, trigger, config, assets, waitTimer, purchase, sleepTimer, end] =
      t.data as JourneyTraceEntry[];
    assert.equal(start?.detail.trigger_event, 'signup');
    assert.equal(trigger?.step, null);
    assert.equal(trigger?.detail.event_id !== null, true);

    // The retried activity: the attempt that completed it, the first attempt's failure, masked.
    assert.equal(config?.status, 'completed');
    assert.equal(config?.step, 'config');
    assert.equal(config?.path, 'config');
    assert.equal(config?.attempt, 2);
    assert.equal(config?.error?.type, 'UPSTREAM');
    assert.equal(config?.error?.message, 'config lookup for <email> timed out');
    assert.ok(
      (config?.duration_ms ?? -1) >= 100,
      `retry interval inside the duration: ${config?.duration_ms}`,
    );

    // The result summary: platform ids and numbers, no e-mail, no secret, no free text.
    assert.equal(assets?.step, 'assets');
    assert.equal(assets?.attempt, 1);
    assert.equal(assets?.error, null);
    assert.equal(assets?.summary, 'code="REF-ANN", link=…, email=…, owner_id="<email>", clicks=0');
    assert.doesNotMatch(JSON.stringify(t), /ann@example\.com|tok_live_secret/);

    // The wait's timeout timer was cancelled by the routed event; the sleep's timer fired.
    assert.equal(waitTimer?.status, 'cancelled');
    assert.equal(waitTimer?.step, null);
    const wantFire = Date.parse(waitTimer?.at ?? '') + 30 * 86_400_000;
    assert.equal(Date.parse(String(waitTimer?.detail.fires_at)), wantFire);
    assert.equal(purchase?.status, 'received');
    assert.ok((purchase?.seq ?? 0) < (sleepTimer?.seq ?? 0));
    assert.equal(sleepTimer?.status, 'fired');
    assert.ok((sleepTimer?.duration_ms ?? 0) >= 300, `sleep 300 ms took ${sleepTimer?.duration_ms}`);
    assert.equal(end?.summary, 'status="completed"');
    for (const x of t.data) assert.match(x.at, /^\d{4}-\d{2}-\d{2}T/);

    // Paging: three entries a page, every entry once, in order.
    const paged: JourneyTraceEntry[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: JourneyTrace } = await trace(
        'camp-trace',
        who,
        `?limit=3${cursor ? `&starting_after=${cursor}` : ''}`,
      );
      paged.push(...page.body.data);
      cursor = page.body.next_cursor;
      assert.equal(page.body.has_more, cursor !== null);
    } while (cursor);
    assert.deepEqual(
      paged.map((x) => x.seq),
      seqs,
    );
    // The same run read by its id.
    const byRun = await trace('camp-trace', who, `?run_id=${t.run_id}&limit=100`);
    assert.deepEqual(byRun.body.data, t.data);
  });

  it('404 for an unknown journey and for another client’s journey; 400 for malformed parameters', async () => {
    const who = `bob-${run}`;
    await route(clientB, 'signup', who);
    const theirs = await until('B’s journey to start', async () => {
      const r = await trace('camp-trace', who, '', 'sk_b');
      return r.status === 200 ? r.body : undefined;
    });
    assert.equal(theirs.workflow_id, `pulse:${clientB}:camp-trace:${who}`);
    // A's key addresses A's own workflow id, which does not exist, even with B's run id.
    assert.equal((await trace('camp-trace', who)).status, 404);
    const withRun = await trace('camp-trace', who, `?run_id=${theirs.run_id}`);
    assert.equal(withRun.status, 404);
    assert.doesNotMatch(JSON.stringify(withRun.body), new RegExp(clientB));
    assert.equal((await trace('camp-nope', 'nobody')).status, 404);
    for (const [query, path] of [
      ['?limit=0', 'limit'],
      ['?limit=101', 'limit'],
      ['?run_id=not-a-run', 'run_id'],
      ['?starting_after=12', 'starting_after'],
      [`?starting_after=${theirs.run_id}.x`, 'starting_after'],
      [`?run_id=${randomUUID()}&starting_after=${theirs.run_id}.3`, 'starting_after'],
    ] as const) {
      const r = await trace('camp-trace', who, query, 'sk_b');
      assert.equal(r.status, 400, `${query} → ${r.status}`);
      assert.equal(r.body.error?.details?.[0]?.path, path, query);
    }
    assert.equal((await trace('camp-trace', who, '', 'sk_unknown')).status, 401);
  });

  it('the approval inbox lists open tasks across the caller’s journeys only, and a decision shows in the trace', async () => {
    const ann = `ann-${run}`;
    const cat = `cat-${run}`;
    await route(clientA, 'bonus_asked', ann);
    await route(clientA, 'bonus_asked', cat);
    await route(clientB, 'bonus_asked', ann);
    type Inbox = {
      data: { workflow_id: string; journey_key: string; campaign_id: string; approval: { task: string } }[];
      scanned: number;
      unanswered: string[];
      has_more: boolean;
      next_cursor: string | null;
    };
    const inbox = (query = '', key = 'sk_a') => get<Inbox>(`/v1/approvals${query}`, key);
    const mine = await until('both tasks in A’s inbox', async () => {
      const r = await inbox('?campaign_id=camp-bonus');
      return r.status === 200 && r.body.data.length === 2 ? r.body : undefined;
    });
    assert.deepEqual(mine.data.map((x) => x.journey_key).sort(), [ann, cat].sort());
    for (const x of mine.data) {
      assert.equal(x.campaign_id, 'camp-bonus');
      assert.equal(x.approval.task, 'review');
      assert.ok(x.workflow_id.startsWith(`pulse:${clientA}:`));
    }
    // Journeys that never opened a task (camp-trace's) are not even asked.
    const all = await inbox();
    assert.equal(all.status, 200);
    assert.ok(
      all.body.data.every((x) => x.campaign_id === 'camp-bonus'),
      JSON.stringify(all.body),
    );
    assert.equal(all.body.scanned, 2, 'only the journeys with an approval step are scanned');
    const theirs = await until('B’s task', async () => {
      const r = await inbox('', 'sk_b');
      return r.body.data?.length === 1 ? r.body : undefined;
    });
    assert.equal(theirs.data[0]?.workflow_id, `pulse:${clientB}:camp-bonus:${ann}`);

    // Paged one journey at a time, every task once.
    const first = await inbox('?campaign_id=camp-bonus&limit=1');
    assert.equal(first.body.scanned, 1);
    assert.equal(first.body.has_more, true);
    const second = await inbox(`?campaign_id=camp-bonus&limit=1&starting_after=${first.body.next_cursor}`);
    assert.equal(second.status, 200);
    assert.deepEqual(
      [...first.body.data, ...second.body.data].map((x) => x.journey_key).sort(),
      [ann, cat].sort(),
    );
    // A cursor is bound to its filters and its client.
    const replayed = await inbox(`?limit=1&starting_after=${first.body.next_cursor}`);
    assert.equal(replayed.status, 400);
    assert.equal(replayed.body.error?.details?.[0]?.path, 'starting_after');
    assert.equal((await inbox(`?limit=1&starting_after=${first.body.next_cursor}`, 'sk_b')).status, 400);
    assert.equal((await inbox('?limit=0')).status, 400);
    assert.equal((await inbox(`?campaign_id=${'x'.repeat(300)}`)).status, 400);
    // A quote in the filter cannot widen the query to another client.
    const sneaky = await inbox(
      `?campaign_id=${encodeURIComponent(`camp-bonus" OR client_id = "${clientB}`)}`,
    );
    assert.equal(sneaky.status, 200);
    assert.deepEqual(sneaky.body.data, []);

    // Decide ann's task: it leaves the inbox, and the trace shows the decision on the step.
    const decided = await app.request(`/v1/journeys/camp-bonus/${ann}/approvals`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk_a', 'content-type': 'application/json' },
      body: JSON.stringify({ task: 'review', decision: 'approve', reason: 'looks fine, ann@example.com' }),
    });
    assert.equal(decided.status, 200, await decided.text());
    const left = await until('ann’s task to leave the inbox', async () => {
      const r = await inbox('?campaign_id=camp-bonus');
      return r.body.data.length === 1 ? r.body : undefined;
    });
    assert.equal(left.data[0]?.journey_key, cat);
    const annTrace = await until('the decision in the trace', async () => {
      const r = await trace('camp-bonus', ann, '?limit=100');
      return r.body.data?.at(-1)?.kind === 'completed' ? r.body : undefined;
    });
    const decision = annTrace.data.find((x) => x.kind === 'approval');
    assert.ok(decision, JSON.stringify(annTrace.data));
    assert.equal(decision.step, 'review');
    assert.equal(decision.status, 'completed');
    assert.equal(decision.detail.decision, 'approve');
    assert.equal(decision.detail.decided_by, 'key:key_sk_a');
    assert.equal(decision.detail.reason_given, true);
    assert.equal(decision.summary, 'state="approved"');
    assert.doesNotMatch(JSON.stringify(annTrace), /ann@example\.com|looks fine/);
    // The approval's timeout timer was cancelled by the decision.
    assert.equal(annTrace.data.find((x) => x.kind === 'timer')?.status, 'cancelled');
  });

  it('approvals inside child journeys: listed and decided through the calling journey, which alone is listed', async () => {
    const eve = `eve-${run}`;
    const fay = `fay-${run}`;
    await route(clientA, 'kid_bonus_asked', eve);
    await route(clientA, 'nested_bonus_asked', fay);
    type Inbox = {
      data: { workflow_id: string; journey_key: string; campaign_id: string; approval: { task: string } }[];
    };
    const inbox = (query: string, key = 'sk_a') => get<Inbox>(`/v1/approvals${query}`, key);
    const kid = await until('the child’s task in the inbox', async () => {
      const r = await inbox('?campaign_id=camp-kid');
      return r.body.data?.length === 1 ? r.body.data[0] : undefined;
    });
    const eveId = `pulse:${clientA}:camp-kid:${eve}`;
    assert.deepEqual(
      { workflow_id: kid.workflow_id, journey_key: kid.journey_key, task: kid.approval.task },
      { workflow_id: eveId, journey_key: eve, task: 'ask-review>review' },
    );
    const nested = await until('the grandchild’s task in the inbox', async () => {
      const r = await inbox('?campaign_id=camp-nest');
      return r.body.data?.length === 1 ? r.body.data[0] : undefined;
    });
    assert.equal(nested.journey_key, fay);
    assert.equal(nested.approval.task, 'outer/call/check>review');
    assert.deepEqual((await inbox('?campaign_id=camp-kid', 'sk_b')).body.data, []);

    // The child carries the journey's attributes (that is how the inbox found it), yet the journey list
    // shows the calling journey only.
    const child = await temporal.workflow.getHandle(`${eveId}/call/ask-review`).describe();
    assert.equal(child.typedSearchAttributes.get(SEARCH_KEYS.client_id), clientA);
    const listed = await until('the journey in the list', async () => {
      const r = await get<{ data: { workflow_id: string }[] }>('/v1/journeys?campaign_id=camp-kid');
      return r.body.data?.length ? r.body.data : undefined;
    });
    assert.deepEqual(
      listed.map((j) => j.workflow_id),
      [eveId],
    );

    // The journey's own approvals list holds its child's task under the qualified id.
    const own = await get<{ data: { task: string; state: string }[] }>(
      `/v1/journeys/camp-kid/${eve}/approvals`,
    );
    assert.equal(own.status, 200);
    assert.deepEqual(
      own.body.data.map((t) => [t.task, t.state]),
      [['ask-review>review', 'pending']],
    );
    const decide = (campaign: string, key: string, task: string, as = 'sk_a') =>
      app.request(`/v1/journeys/${campaign}/${encodeURIComponent(key)}/approvals`, {
        method: 'POST',
        headers: { authorization: `Bearer ${as}`, 'content-type': 'application/json' },
        body: JSON.stringify({ task, decision: 'approve' }),
      });
    const unknown = await decide('camp-kid', eve, 'no-such-call>review');
    assert.equal(unknown.status, 404);
    assert.equal(
      ((await unknown.json()) as { error: { details: { path: string }[] } }).error.details[0]?.path,
      'task',
    );
    // Another client names the same journey key: its own (absent) journey, never A's.
    assert.equal((await decide('camp-kid', eve, 'ask-review>review', 'sk_b')).status, 404);

    const decided = await decide('camp-kid', eve, 'ask-review>review');
    assert.equal(decided.status, 200);
    const body = (await decided.json()) as { approval: { task: string; state: string } };
    assert.deepEqual([body.approval.task, body.approval.state], ['ask-review>review', 'approved']);
    // A repeat answers the recorded decision; the child ends, then the journey.
    assert.equal((await decide('camp-kid', eve, 'ask-review>review')).status, 200);
    await until('the calling journey to complete', async () => {
      const r = await trace('camp-kid', eve, '?limit=100');
      return r.body.data?.at(-1)?.kind === 'completed' ? true : undefined;
    });
    const nestedDecision = await decide('camp-nest', fay, 'outer/call/check>review');
    assert.equal(nestedDecision.status, 200, await nestedDecision.clone().text());
    await until('the nested task to leave the inbox', async () => {
      const r = await inbox('?campaign_id=camp-nest');
      return r.body.data?.length === 0 ? true : undefined;
    });
    const after = await get<{ data: { task: string; state: string }[] }>(
      `/v1/journeys/camp-nest/${fay}/approvals`,
    );
    assert.deepEqual(
      after.body.data.map((t) => [t.task, t.state]),
      [['outer/call/check>review', 'approved']],
    );

    // A top-level journey whose key merely extends eve's with `/call/x` (a participant choosing such an
    // id): its child's task is its own, never listed or decided as eve's.
    const impostor = `${eve}/call/x`;
    await route(clientA, 'kid_bonus_asked', impostor);
    const planted = await until('the impostor’s task in the inbox', async () => {
      const r = await inbox('?campaign_id=camp-kid');
      return r.body.data?.find((x) => x.journey_key === impostor);
    });
    assert.equal(planted.approval.task, 'ask-review>review');
    const eves = await get<{ data: { task: string; state: string }[] }>(
      `/v1/journeys/camp-kid/${eve}/approvals`,
    );
    assert.deepEqual(
      eves.body.data.map((t) => [t.task, t.state]),
      [['ask-review>review', 'approved']],
    );
    assert.equal((await decide('camp-kid', eve, 'x/call/ask-review>review')).status, 404);
    assert.equal((await decide('camp-kid', impostor, 'ask-review>review')).status, 200);
  });

  it('a child journey and continue-as-new: the step of the call, and the earlier run read by its id', async () => {
    const kid = handPlan([{ id: 'kid-config', kind: 'do', activity: 'FetchCampaignConfig', with: {} }], {
      id: 'kid',
    });
    const plan = handPlan(
      [
        { id: 'ask-kid', kind: 'call', plan: 'kid', input: {} },
        { id: 'pause', kind: 'sleep', durationMs: 50 },
        { id: 'done', kind: 'end', status: 'completed' },
      ],
      { children: { kid } },
    );
    const who = `dan-${run}`;
    const workflowId = `pulse:${clientA}:camp-calls:${who}`;
    const trigger = testEvent('signup', { client_id: clientA, participant_id: who });
    started.add(workflowId);
    // Started directly (the router sets no engine options): a tiny history threshold makes the journey
    // continue as new at the sleep, its first safe point.
    await temporal.workflow.start('runCampaign', {
      taskQueue,
      workflowId,
      args: [
        {
          plan,
          campaign: ref(clientA, 'camp-calls'),
          journeyKey: who,
          trigger,
          options: { historyThreshold: 5 },
        },
      ],
    });
    const latest = await until('the continued run to complete', async () => {
      const r = await trace('camp-calls', who, '?limit=100');
      return r.body.data?.at(-1)?.kind === 'completed' && r.body.continued_from_run_id ? r.body : undefined;
    });
    assert.equal(latest.data[0]?.kind, 'started');
    assert.equal(latest.data[0]?.status, 'continued');
    assert.equal(latest.data[0]?.detail.generation, 1);
    const first = await trace('camp-calls', who, `?run_id=${latest.continued_from_run_id}&limit=100`);
    assert.equal(first.status, 200);
    assert.equal(first.body.run_id, latest.continued_from_run_id);
    const child = first.body.data.find((x) => x.kind === 'child');
    assert.ok(child, JSON.stringify(first.body.data));
    assert.equal(child.step, 'ask-kid');
    assert.equal(child.path, 'ask-kid');
    assert.equal(child.status, 'completed');
    assert.equal(child.detail.workflow_id, `${workflowId}/call/ask-kid`);
    assert.equal(child.summary, 'status="completed"');
    const moved = first.body.data.at(-1);
    assert.equal(moved?.kind, 'continued_as_new');
    assert.equal(moved?.detail.new_run_id, latest.run_id);
  });

  it('an activity between attempts shows as retrying, with the attempt to come and the last failure', async () => {
    const plan = handPlan([
      {
        id: 'flaky',
        kind: 'do',
        activity: 'CheckFraud',
        with: {},
        // A long backoff: the trace is read while the second attempt waits its turn.
        retry: { maxAttempts: 3, initialIntervalMs: 60_000, backoffCoefficient: 1 },
      },
    ]);
    const who = `eve-${run}`;
    const workflowId = `pulse:${clientA}:camp-flaky:${who}`;
    started.add(workflowId);
    fakes.setOverrides({
      ...overrides,
      CheckFraud: () => {
        throw ApplicationFailure.retryable('scoring service for eve@example.com unreachable', 'UPSTREAM');
      },
    });
    await temporal.workflow.start('runCampaign', {
      taskQueue,
      workflowId,
      args: [{ plan, campaign: ref(clientA, 'camp-flaky'), journeyKey: who, trigger: testEvent('signup') }],
    });
    const t = await until('the activity to wait for its retry', async () => {
      const r = await trace('camp-flaky', who);
      return r.body.data?.find((x) => x.kind === 'activity' && x.status === 'retrying') ? r.body : undefined;
    });
    const flaky = t.data.find((x) => x.kind === 'activity');
    assert.equal(flaky?.step, 'flaky');
    assert.equal(flaky?.attempt, 2);
    assert.equal(flaky?.ended_at, null);
    assert.equal(flaky?.duration_ms, null);
    assert.deepEqual(flaky?.error, { type: 'UPSTREAM', message: 'scoring service for <email> unreachable' });
  });

  it('summaries keep ids, states and figures, and mask the rest', () => {
    assert.equal(
      summarize({ reward_id: 'rw_1', state: 'approved', amount: 10, ok: true }),
      'reward_id="rw_1", state="approved", amount=10, ok=true',
    );
    assert.equal(
      summarize({ name: 'Ann Lee', phone: '+1 555', nested: { a: 1 }, list: [1, 2] }),
      'name=…, phone=…, nested={…}, list=[2]',
    );
    assert.equal(summarize({ api_key: 'sk_live', password: 'x', signing_secret: 'y' }), null);
    assert.equal(summarize({ participant_id: 'someone@corp.example' }), 'participant_id="<email>"');
    assert.equal(summarize('free text'), 'text');
    assert.equal(summarize(undefined), null);
  });
});
