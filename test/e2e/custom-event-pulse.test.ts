// biome-ignore-all lint/suspicious/noExplicitAny: tests read arbitrary response JSON
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { call, GiveUp, waitUntil } from '../../scripts/journey/http.ts';
import type { LocalPlatform } from '../../scripts/journey/local-platform.ts';
import { createIdentityToken } from '../../sdk/node/index.ts';
import type { TestClickHouse } from '../support/clickhouse.ts';
import { startIsolatedPlatform } from '../support/isolated-platform.ts';
import type { TestDatabase } from '../support/postgres.ts';
import { decodeQuotedPrintable } from '../support/smtp.ts';

/**
 * A new pulse type written as data only: this YAML, one event type declared through the API, one email
 * template through the template API. Its trigger is a custom event declared inline; it waits for a
 * second custom event the client declared through /v1/event-types, then sends a thank-you email.
 */
const WEBINAR_PULSE = `
pulse: webinar-follow-up
id: webinar-follow-up
version: 1
title: Webinar follow-up
goal: Thank attendees who rate the webinar they attended.
trigger:
  event: custom_webinar_attended
  journey: event.participant_id
  trust: sdk
events:
  custom_webinar_attended:
    description: A participant attended a live webinar
    properties:
      type: object
      required: [webinar_id, minutes]
      additionalProperties: false
      properties:
        webinar_id: { type: string, maxLength: 64 }
        minutes: { type: integer, minimum: 0, maximum: 1440 }
steps:
  - id: wait-for-feedback
    wait: custom_webinar_feedback_given
    timeout: 7d
    as: feedback
    then:
      - id: thank-attendee
        do: SendNotification
        with:
          participant_id: { var: event.participant_id }
          channel: email
          template: webinar-thanks
          data:
            webinar: { var: event.properties.webinar_id }
            rating: { var: feedback.properties.rating }
    on_timeout:
      - id: no-feedback
        end: completed
        reason: no feedback within a week
  - id: done
    end: completed
`;

const FEEDBACK_TYPE = {
  description: 'A participant rated a webinar',
  properties: {
    type: 'object',
    required: ['webinar_id', 'rating'],
    properties: { webinar_id: { type: 'string' }, rating: { type: 'integer', minimum: 1, maximum: 5 } },
  },
};

describe('an event-driven pulse on a custom event, as YAML only, on the real stack', () => {
  let platform: LocalPlatform;
  let pg: TestDatabase;
  let ch: TestClickHouse;
  let base: string;
  let sk: string;
  let pk: string;
  let signing: string;
  let campaignId: string;

  before(async () => {
    ({ platform, pg, ch } = await startIsolatedPlatform());
    base = platform.runtime.url;
    const created = await call<{
      keys: { publishable: { key: string }; secret: { key: string; signing_secret: string } };
    }>(base, 'POST', '/v1/admin/clients', { key: platform.adminKey, body: { name: 'Webinar Co' } });
    assert.equal(created.status, 201);
    pk = created.body.keys.publishable.key;
    sk = created.body.keys.secret.key;
    signing = created.body.keys.secret.signing_secret;
  });
  after(async () => {
    await platform?.stop();
    await ch?.drop();
    await pg?.drop();
  });

  const deploy = () =>
    call<Record<string, any>>(base, 'POST', '/v1/campaigns/deploy', {
      key: sk,
      body: { source: WEBINAR_PULSE, file: 'webinar-follow-up.pulse.yaml' },
    });

  const track = (participant: string, event: Record<string, unknown>, withTraits = false) =>
    call<Record<string, any>>(base, 'POST', '/v1/events', {
      key: pk,
      headers: { 'x-pulse-identity': createIdentityToken(signing, participant) },
      body: {
        event_id: randomUUID(),
        occurred_at: new Date().toISOString(),
        participant_id: participant,
        ...(withTraits ? { traits: { email: `${participant}@example.test`, name: 'Wendy' } } : {}),
        ...event,
      },
    });

  it('refuses the deploy while a waited-for custom event is declared nowhere, with its position', async () => {
    const res = await deploy();
    assert.equal(res.status, 400);
    const details = res.body.error.details as { path: string; message: string }[];
    assert.deepEqual(
      details.map((d) => d.path),
      ['steps[0].wait'],
    );
    assert.match(
      details[0]?.message ?? '',
      /:\d+:\d+ UNKNOWN_EVENT: custom event "custom_webinar_feedback_given" is not declared/,
    );
  });

  it('deploys once the client declared it; the inline declaration is stored as the client’s event type', async () => {
    const put = await call(base, 'PUT', '/v1/event-types/custom_webinar_feedback_given', {
      key: sk,
      body: FEEDBACK_TYPE,
    });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    // The deploy checks the template the pulse sends exists: the client publishes it first.
    const template = await call(base, 'PUT', '/v1/notifications/templates/webinar-thanks', {
      key: sk,
      body: {
        subject: 'Thanks for rating {{ webinar }}',
        text: 'Hi {{ participant.name }}, thank you for rating {{ webinar }} {{ rating }}/5.',
      },
    });
    assert.equal(template.status, 201, JSON.stringify(template.body));
    const res = await deploy();
    assert.equal(res.status, 201, JSON.stringify(res.body));
    campaignId = res.body.campaign_id as string;
    const list = await call<{ data: { name: string; source: string; version: number }[] }>(
      base,
      'GET',
      '/v1/event-types',
      { key: sk },
    );
    assert.deepEqual(
      list.body.data.map((t) => [t.name, t.source, t.version]),
      [
        ['custom_webinar_attended', 'campaign:webinar-follow-up', 1],
        ['custom_webinar_feedback_given', 'api', 1],
      ],
    );
  });

  it('the ingest validates both custom events against the declarations', async () => {
    const bad = await track('wendy-0', {
      event: 'custom_webinar_attended',
      properties: { webinar_id: 'w-1' },
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(
      bad.body.error.details.map((d: { path: string }) => d.path),
      ['properties.minutes'],
    );
    const badRating = await track('wendy-0', {
      event: 'custom_webinar_feedback_given',
      properties: { webinar_id: 'w-1', rating: 9 },
    });
    assert.deepEqual(
      badRating.body.error.details.map((d: { path: string }) => d.path),
      ['properties.rating'],
    );
  });

  it('a custom event starts the journey, a second one continues it, and the email goes out', async () => {
    const who = `wendy-${randomUUID().slice(0, 8)}`;
    // The site identifies its user (the platform learns the email address from user_identified).
    assert.equal((await track(who, { event: 'user_identified' }, true)).status, 202);
    const started = await track(who, {
      event: 'custom_webinar_attended',
      properties: { webinar_id: 'scaling-postgres', minutes: 52 },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    // The journey is waiting for the feedback event (it exists and has not completed).
    await waitUntil(
      'journey to start',
      async () => {
        const r = await call<Record<string, any>>(base, 'GET', `/v1/journeys/${campaignId}/${who}`, {
          key: sk,
        });
        return r.status === 200 && r.body.execution_status === 'RUNNING' ? true : undefined;
      },
      60_000,
    );
    const rated = await track(who, {
      event: 'custom_webinar_feedback_given',
      properties: { webinar_id: 'scaling-postgres', rating: 5 },
    });
    assert.equal(rated.status, 202);
    const done = await waitUntil(
      'journey to complete',
      async () => {
        const r = await call<Record<string, any>>(base, 'GET', `/v1/journeys/${campaignId}/${who}`, {
          key: sk,
        });
        if (r.status !== 200) return undefined;
        if (['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELED'].includes(r.body.execution_status))
          throw new GiveUp(`journey ended ${r.body.execution_status}: ${JSON.stringify(r.body.journey)}`);
        return r.body.execution_status === 'COMPLETED' ? r.body : undefined;
      },
      90_000,
    );
    assert.equal(done.execution_status, 'COMPLETED');
    const mail = await platform.smtp.waitFor((m) => m.to.includes(`${who}@example.test`), 30_000);
    assert.equal(mail.subject, 'Thanks for rating scaling-postgres');
    assert.match(decodeQuotedPrintable(mail.raw), /Hi Wendy, thank you for rating scaling-postgres 5\/5\./);
  });
});
