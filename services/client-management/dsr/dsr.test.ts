import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { strFromU8, unzipSync } from 'fflate';
import { sql } from 'kysely';
import { ensureSearchAttributes, journeySearchAttributes } from '../../../engine/search-attributes.ts';
import {
  createTestClickHouse,
  emptyEventRow,
  type TestClickHouse,
} from '../../../test/support/clickhouse.ts';
import { openTestPlatform, type TestPlatform } from '../../../test/support/platform.ts';
import type { Platform } from '../../app.ts';
import { createPostgresBus } from '../../platform/bus/postgres-bus.ts';
import { catalogueIdent, chSql, ident } from '../../platform/clickhouse.ts';
import { migrateClickHouse } from '../../platform/clickhouse-migrate.ts';

const SERVICES_DIR = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Export and erasure of one participant on the real stack (Postgres, ClickHouse, Temporal). The proof
 * that nothing identifying remains is generic: every text/json/jsonb/array column of every table in the
 * database, and every String column of every ClickHouse table, is searched for the participant's id,
 * email, phone and IP, so tables other services add later are covered without changing this test.
 */
describe('data-subject requests: export and erase', () => {
  let tp: TestPlatform;
  let tch: TestClickHouse;
  let platform: Platform;
  let sk: string;
  let pk: string;
  let clientId: string;
  const tag = randomBytes(4).toString('hex');
  const pid = `dsr-user-${tag}`;
  const other = `other-user-${tag}`;
  const email = `dsr.${tag}@example.org`;
  const phone = `+49155501${parseInt(tag, 16) % 100000}`.padEnd(14, '7');
  const ip = `203.0.113.${(parseInt(tag, 16) % 200) + 20}`;
  const needles = { id: pid, email, phone, ip };
  const workflowId = `pulse:x:camp-${tag}:${pid}`;

  const call = async (method: string, path: string, key: string, body?: unknown) =>
    platform.app.request(path, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        'user-agent': 'dsr-test',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  before(async () => {
    tch = await createTestClickHouse((ch) => migrateClickHouse(ch, SERVICES_DIR).then(() => undefined));
    tp = await openTestPlatform({ CLICKHOUSE_DATABASE: tch.database });
    platform = tp.build();
    const created = await platform.clientManagement.createClient({ name: `DSR ${tag}` });
    clientId = created.client.id;
    sk = created.secret.key;
    pk = created.publishable.key;
    const db = tp.db.db;

    // Events through the ingest (publishable key), drained into ClickHouse: the participant's, an
    // anonymous one of the same visitor, and another participant's.
    const url = `https://shop.example.com/welcome?e=${email}&t=${phone}&ip=${ip}`;
    const anon = `anon-${tag}`;
    const events = [
      { participant_id: pid, anonymous_id: anon, context: { page: { url, path: '/welcome' } } },
      { anonymous_id: anon, context: { page: { url, path: '/before-signup' } } },
      {
        participant_id: other,
        anonymous_id: `anon-other-${tag}`,
        context: { page: { url: 'https://shop.example.com/' } },
      },
    ];
    const res = await call('POST', '/v1/events/batch', pk, {
      events: events.map((e) => ({ event: 'page_viewed', event_id: randomUUID(), ...e })),
    });
    assert.equal(res.status, 202, await res.clone().text());
    platform.drainer.start();
    await platform.drainer.settle(20_000);
    await platform.drainer.stop();
    // A referee's event naming the participant as referrer (kept, the referrer pseudonymised).
    const now = new Date().toISOString().slice(0, 19).replace('T', ' ');
    await tch.ch.insert('events', [
      emptyEventRow({
        event_id: randomUUID(),
        event: 'referred_signed_up',
        client_id: clientId,
        participant_id: other,
        referrer_id: pid,
        occurred_at: now,
        received_at: now,
      }),
    ]);

    // Rows of several services, as their code writes them.
    await sql`insert into contacts (client_id, participant_id, email, name) values
      (${clientId}, ${pid}, ${email}, 'Dee Ess'), (${clientId}, ${other}, ${`o.${tag}@example.org`}, 'Other')`.execute(
      db,
    );
    await sql`insert into notifications (id, client_id, participant_id, channel, template, subject, body, status, idempotency_key, recipient)
      values (${`ntf_${tag}`}, ${clientId}, ${pid}, 'sms', 'welcome', 'Hi', ${`Welcome! We will text ${phone}`}, 'sent', ${`pulse:${clientId}:c:${pid}/1`}, ${phone})`.execute(
      db,
    );
    await sql`insert into referral_codes (client_id, campaign_id, participant_id, code, link)
      values (${clientId}, 'camp', ${pid}, ${`DEE${tag}`}, ${`https://go.example/r/DEE${tag}`})`.execute(db);
    await sql`insert into referrals (id, client_id, campaign_id, code, referrer_id, referee_id, status, order_id)
      values (${`ref_${tag}`}, ${clientId}, 'camp', ${`DEE${tag}`}, ${pid}, ${other}, 'converted', ${`order-of-${pid}`})`.execute(
      db,
    );
    await sql`insert into referral_participant_ips (client_id, participant_id, ip_hash, first_seen_at) values (${clientId}, ${pid}, 'h1', now())`.execute(
      db,
    );
    await sql`insert into rewards (id, client_id, campaign_id, version, rule, participant_id, side, category, value, state,
        fulfilment_mode, redeem_mode, idempotency_key, claim_key, counts_limit, claim, amount, currency)
      values (${`rew_${tag}`}, ${clientId}, 'camp', 1, 'cash', ${pid}, 'referrer', 'cash', '{"amount":10}', 'FULFILLED',
        'auto', 'on_fulfil', ${`pulse:${clientId}:camp:${pid}/reward`}, ${`ck_${tag}`}, true,
        ${JSON.stringify({ paypal_email: email })}, 10, 'USD')`.execute(db);
    await sql`insert into ledger_accounts (client_id, participant_id, currency, balance) values (${clientId}, ${pid}, 'USD', 10)`.execute(
      db,
    );
    await sql`insert into ledger_entries (client_id, participant_id, currency, amount, reward_id)
      values (${clientId}, ${pid}, 'USD', 10, ${`rew_${tag}`})`.execute(db);
    // A bus message about the participant (a table without client_id).
    const bus = createPostgresBus({ db });
    await bus.publish(`event.page_viewed.${clientId}.camp`, {
      client_id: clientId,
      participant_id: pid,
      email,
    });

    // A running journey of the participant (on a task queue no worker polls: it stays running).
    assert.ok(await ensureSearchAttributes(tp.temporal, tp.temporal.options.namespace));
    await tp.temporal.workflow.start('runCampaign', {
      taskQueue: `dsr-idle-${tag}`,
      workflowId,
      args: [{ participant_id: pid, email }],
      memo: { contact: email },
      typedSearchAttributes: journeySearchAttributes(
        { clientId, campaignId: `camp-${tag}`, pulse: 'signup' },
        pid,
        undefined,
      ),
    });
    const until = Date.now() + 15_000;
    for (;;) {
      const found = [];
      for await (const w of tp.temporal.workflow.list({ query: `participant_id = "${pid}"` })) found.push(w);
      if (found.length) break;
      if (Date.now() > until) throw new Error('journey not visible');
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  after(async () => {
    await tp.close();
    await tch.drop();
  });

  /** Every text-like column of every table (information_schema), searched for every needle. */
  async function scanPostgres(): Promise<string[]> {
    const cols = await sql<{ t: string; c: string }>`
      select c.table_name as t, c.column_name as c from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
        and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'bytea')`.execute(
      tp.db.db,
    );
    const hits: string[] = [];
    for (const { t, c } of cols.rows)
      for (const [what, needle] of Object.entries(needles)) {
        const r = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(t)}
          where position(${needle} in ${sql.ref(c)}::text) > 0`.execute(tp.db.db);
        if ((r.rows[0]?.n ?? 0) > 0) hits.push(`${t}.${c} holds the ${what}`);
      }
    return hits;
  }

  /** Every String column of every ClickHouse table of the database (views' inner tables too). */
  async function scanClickHouse(): Promise<string[]> {
    const cols = await tch.ch.query<{ table: string; name: string }>(
      chSql`SELECT table, name FROM system.columns WHERE database = ${tch.database} AND type = 'String'`,
    );
    const tables = new Set(
      (
        await tch.ch.query<{ name: string; engine: string }>(
          chSql`SELECT name, engine FROM system.tables WHERE database = ${tch.database}`,
        )
      )
        .filter((t) => t.engine !== 'MaterializedView' && t.engine !== 'View')
        .map((t) => t.name),
    );
    const hits: string[] = [];
    for (const c of cols) {
      if (!tables.has(c.table)) continue;
      for (const [what, needle] of Object.entries(needles)) {
        const [r] = await tch.ch.query<{ n: string }>(
          chSql`SELECT count() AS n FROM ${catalogueIdent(c.table)} WHERE position(${ident(c.name)}, ${needle}) > 0`,
        );
        if (Number(r?.n ?? 0) > 0) hits.push(`clickhouse ${c.table}.${c.name} holds the ${what}`);
      }
    }
    return hits;
  }

  it('the scans see the participant before anything is done (they can fail)', async () => {
    const pg = await scanPostgres();
    for (const t of ['contacts', 'notifications', 'rewards', 'ledger_entries', 'referrals', 'event_outbox'])
      assert.ok(
        pg.some((h) => h.startsWith(`${t}.`)),
        `${t} seen: ${pg.join('; ')}`,
      );
    const chHits = await scanClickHouse();
    assert.ok(
      chHits.some((h) => h.includes('events.participant_id')),
      chHits.join('; '),
    );
    assert.ok(
      chHits.some((h) => h.includes('holds the email')),
      chHits.join('; '),
    );
  });

  it('exports one zip: Postgres rows of every service, ClickHouse events, the journey’s Temporal state', async () => {
    const res = await call('POST', `/v1/participants/${pid}/export`, sk);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('content-type'), 'application/zip');
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    const names = Object.keys(files);
    for (const f of [
      'manifest.json',
      'postgres/contacts.jsonl',
      'postgres/notifications.jsonl',
      'postgres/rewards.jsonl',
      'postgres/ledger_entries.jsonl',
      'postgres/referrals.jsonl',
      'postgres/event_outbox.jsonl',
      'clickhouse/events.jsonl',
    ])
      assert.ok(names.includes(f), `${f} in ${names.join(', ')}`);
    const contacts = strFromU8(files['postgres/contacts.jsonl']!).trim().split('\n');
    assert.equal(contacts.length, 1, 'only this participant’s contact');
    assert.equal(JSON.parse(contacts[0]!).email, email);
    const events = strFromU8(files['clickhouse/events.jsonl']!)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // Their event, the anonymous one before signup, and the referee's naming them; not the other's own.
    assert.equal(events.length, 3, JSON.stringify(events.map((e) => e.participant_id)));
    const journey = names.find((n) => n.startsWith('temporal/') && n.endsWith('/history.json'));
    assert.ok(journey, 'the journey’s history');
    assert.match(
      strFromU8(files[journey]!),
      /WorkflowExecutionStarted|EVENT_TYPE_WORKFLOW_EXECUTION_STARTED/,
    );
    const execution = JSON.parse(strFromU8(files[journey.replace('history.json', 'execution.json')]!));
    assert.equal(execution.search_attributes.participant_id, pid);
    assert.equal(execution.status, 'RUNNING');
    // Logged, without the participant in clear.
    const logged = await tp.db.db
      .selectFrom('dsr_requests')
      .selectAll()
      .where('client_id', '=', clientId)
      .execute();
    assert.equal(logged.length, 1);
    assert.equal(logged[0]?.kind, 'export');
  });

  it('refuses roles below admin and publishable keys', async () => {
    const viewer = await platform.clientManagement.issueKey(clientId, 'secret', 'viewer');
    assert.equal((await call('POST', `/v1/participants/${pid}/erase`, viewer.key)).status, 403);
    assert.equal((await call('POST', `/v1/participants/${pid}/export`, pk)).status, 403);
  });

  it('erases: nothing identifying remains in any table; the ledger keeps its amounts; others untouched', async () => {
    const db = tp.db.db;
    const ledgerBefore = await sql<{ s: string; n: number }>`select sum(amount)::text as s, count(*)::int as n
      from ledger_entries where client_id = ${clientId}`.execute(db);
    // An old day of the participant's, reaching analytics_events through its feed view; its rollup marker
    // cleared, as once the rollup job has taken the day (only a new marker makes it dirty again).
    const oldDay = '2026-01-15';
    await tch.ch.insert('events', [
      emptyEventRow({
        event_id: randomUUID(),
        event: 'referral_shared',
        client_id: clientId,
        participant_id: pid,
        occurred_at: `${oldDay} 10:00:00`,
        received_at: `${oldDay} 10:00:00`,
      }),
    ]);
    const touched = async () =>
      (
        await tch.ch.query<{ day: string }>(
          chSql`SELECT DISTINCT toString(day) AS day FROM analytics_touched_days WHERE client_id = ${clientId}`,
        )
      )
        .map((r) => r.day)
        .sort();
    const [inFacts] = await tch.ch.query<{ n: string }>(
      chSql`SELECT count() AS n FROM analytics_events WHERE client_id = ${clientId} AND day = ${oldDay}`,
    );
    assert.ok(Number(inFacts?.n) > 0, 'the old day is in analytics_events');
    await tch.ch.command(chSql`ALTER TABLE analytics_touched_days DELETE WHERE client_id = ${clientId}`);
    for (let i = 0; i < 100 && (await touched()).length > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await touched(), [], 'no day of the client marked before the erase');

    const res = await call('POST', `/v1/participants/${pid}/erase`, sk);
    assert.equal(res.status, 200, await res.clone().text());
    // The deletes fire no view: the erase itself marks every day it changed, so the rollup recomputes it.
    const today = new Date().toISOString().slice(0, 10);
    assert.ok((await touched()).includes(oldDay), `${oldDay} marked touched: ${await touched()}`);
    assert.ok((await touched()).includes(today), 'today (the ingested events) marked touched');
    const { request } = (await res.json()) as {
      request: {
        pseudonym: string;
        journeys: { terminated: number; deleted: number };
        clickhouse: { tables: string[] };
      };
    };
    assert.deepEqual(request.journeys, { terminated: 1, deleted: 1 });
    assert.ok(request.clickhouse.tables.includes('events'));

    assert.deepEqual(await scanPostgres(), [], 'Postgres');
    assert.deepEqual(await scanClickHouse(), [], 'ClickHouse');

    // The ledger: same entries and sum, under the pseudonym; the reward stays, its claim cleared.
    const ledgerAfter = await sql<{ s: string; n: number }>`select sum(amount)::text as s, count(*)::int as n
      from ledger_entries where client_id = ${clientId}`.execute(db);
    assert.deepEqual(ledgerAfter.rows, ledgerBefore.rows);
    const reward = await db
      .selectFrom('rewards')
      .selectAll()
      .where('id', '=', `rew_${tag}`)
      .executeTakeFirstOrThrow();
    assert.equal(reward.participant_id, request.pseudonym);
    assert.equal(reward.claim, null);
    assert.equal(Number(reward.amount), 10);
    const referral = await db
      .selectFrom('referrals')
      .selectAll()
      .where('id', '=', `ref_${tag}`)
      .executeTakeFirstOrThrow();
    assert.deepEqual(
      [referral.referrer_id, referral.referee_id, referral.order_id],
      [request.pseudonym, other, null],
    );
    // Another participant's data stays.
    assert.ok(
      await db.selectFrom('contacts').select('email').where('participant_id', '=', other).executeTakeFirst(),
    );
    const [kept] = await tch.ch.query<{ n: string }>(
      chSql`SELECT count() AS n FROM events WHERE client_id = ${clientId} AND participant_id = ${other}`,
    );
    assert.equal(Number(kept?.n), 2, 'the other participant’s event and the referee’s event stay');
    const [pseudonymised] = await tch.ch.query<{ n: string }>(
      chSql`SELECT count() AS n FROM events WHERE client_id = ${clientId} AND referrer_id = ${request.pseudonym}`,
    );
    assert.equal(Number(pseudonymised?.n), 1);

    // The journey is gone from Temporal.
    // Temporal deletes asynchronously: the delete task waits until the close of the terminated run has
    // reached visibility, and retries with a backoff; on a loaded machine (CI ran it at ~20 s) that can
    // take tens of seconds, so allow a minute.
    const gone = Date.now() + 60_000;
    let deleted = false;
    while (!deleted && Date.now() < gone) {
      deleted = await tp.temporal.workflow
        .getHandle(workflowId)
        .describe()
        .then(() => false)
        .catch((err: Error) => /not found/i.test(err.message) || err.name === 'WorkflowNotFoundError');
      if (!deleted) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(deleted, 'the journey’s execution is deleted from Temporal');
    // The request is logged and audited, by hash only (the scans above include both tables).
    const logged = await db
      .selectFrom('dsr_requests')
      .select('kind')
      .where('client_id', '=', clientId)
      .execute();
    assert.deepEqual(logged.map((r) => r.kind).sort(), ['erase', 'export']);
    const audited = await db
      .selectFrom('audit_log')
      .select(['action', 'target'])
      .where('client_id', '=', clientId)
      .execute();
    assert.ok(
      audited.some((a) => a.action === 'dsr.erased'),
      JSON.stringify(audited),
    );
  });
});
