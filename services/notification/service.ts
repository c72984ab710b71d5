import { AppError } from '../../contract/errors.ts';
import type { Db } from '../platform/db.ts';
import { newId } from '../platform/ids.ts';
import { logger } from '../platform/log.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import { webhookHeaders } from '../platform/webhooks.ts';
import { DeliveryFailure, type Mailer } from './mailer.ts';
import { builtInTemplates, localeChain, type Rendered, renderSource } from './render.ts';
import * as repo from './repo.ts';
import * as webhookRepo from './webhook-repo.ts';

export type { Rendered } from './render.ts';

/**
 * Picks and renders a template. Locales are tried most specific first (`fr-CA` → `fr` → campaign default
 * → `en`); the client's own templates win over the built-ins in any locale of the chain (a client that
 * rewrote a template in English keeps its copy for a French participant rather than ours). `asOf` pins the
 * client version: the latest one published at or before it (the journey's start), so a running journey
 * keeps the copy it started with. An unknown name is an error, not a blank email.
 */
export async function renderNotification(
  db: Db,
  clientId: string,
  input: {
    template: string;
    locale?: string;
    defaultLocale?: string;
    asOf?: Date;
    channel?: string;
    data?: Record<string, unknown>;
  },
): Promise<Rendered> {
  const chain = localeChain(input.locale, input.defaultLocale);
  const data = input.data ?? {};
  for (const locale of chain) {
    const custom = await repo.findTemplate(db, clientId, input.template, locale, input.asOf);
    if (custom)
      return renderSource(
        input.template,
        { subject: custom.subject, text: custom.text, ...(custom.html ? { html: custom.html } : {}) },
        data,
        { locale, builtIn: false, ...(input.channel ? { channel: input.channel } : {}) },
      );
  }
  const builtIn = builtInTemplates().get(input.template);
  for (const locale of chain) {
    const t = builtIn?.get(locale);
    if (t)
      return renderSource(input.template, t.source, data, {
        locale,
        builtIn: true,
        ...(input.channel ? { channel: input.channel } : {}),
      });
  }
  throw new AppError('NOT_FOUND', `no template named "${input.template}"`, [
    { path: 'template', message: 'unknown template' },
  ]);
}

export interface SendInput {
  clientId: string;
  campaignId?: string;
  idempotencyKey: string;
  participantId: string;
  channel: 'email' | 'in_app' | 'push' | 'sms';
  template: string;
  to?: string;
  locale?: string;
  /** The campaign's default locale, tried after the participant's. */
  defaultLocale?: string;
  /** Pins the client template version: the latest published at or before this time (journey start). */
  asOf?: Date;
  data?: Record<string, unknown>;
  /** The journey sending it: recorded so a failed delivery can be found by journey. */
  workflowId?: string;
  journeyKey?: string;
  /** No retry follows this attempt (the step's retry policy is spent): a failure is final. */
  finalAttempt?: boolean;
}

/**
 * Renders and delivers once per idempotency key: a retried activity finds the row already sent and
 * returns it. Email goes over SMTP; in-app messages are stored for the SDK to fetch; push and SMS are
 * recorded as `queued` until their providers are configured.
 */
export async function sendNotification(
  db: Db,
  mailer: Mailer,
  input: SendInput,
): Promise<{ notification_id: string; status: string }> {
  // Journeys name people by participant id; the address comes from the contact we learnt from events.
  const contact = await repo.findContact(db, input.clientId, input.participantId);
  const to = input.to ?? contact?.email ?? undefined;
  const locale = input.locale ?? contact?.locale ?? undefined;
  const participant = { id: input.participantId, name: contact?.name ?? undefined, email: to };
  const rendered = await renderNotification(db, input.clientId, {
    template: input.template,
    channel: input.channel,
    ...(locale ? { locale } : {}),
    ...(input.defaultLocale ? { defaultLocale: input.defaultLocale } : {}),
    ...(input.asOf ? { asOf: input.asOf } : {}),
    data: { participant, ...(input.data ?? {}) },
  });
  const row = await repo.claimNotification(db, {
    id: newId('ntf'),
    client_id: input.clientId,
    idempotency_key: input.idempotencyKey,
    campaign_id: input.campaignId ?? null,
    participant_id: input.participantId,
    channel: input.channel,
    template: input.template,
    recipient: to ?? null,
    subject: rendered.subject,
    body: rendered.text,
    status: 'pending',
    workflow_id: input.workflowId ?? null,
    journey_key: input.journeyKey ?? null,
  });
  if (row.status === 'sent' || row.status === 'stored' || row.status === 'skipped_no_address') {
    return { notification_id: row.id, status: row.status };
  }
  if (input.channel === 'in_app') {
    await repo.markNotification(db, row.id, 'stored', null);
    return { notification_id: row.id, status: 'stored' };
  }
  if (input.channel !== 'email') {
    await repo.markNotification(db, row.id, 'queued', null);
    return { notification_id: row.id, status: 'queued' };
  }
  if (!to) {
    await repo.markNotification(db, row.id, 'skipped_no_address', null);
    return { notification_id: row.id, status: 'skipped_no_address' };
  }
  // `sending` is recorded before SMTP sees the message: a row found in that state means an earlier
  // attempt may have been delivered (the worker died before recording `sent`). It is resent, with the
  // same Message-ID, so the duplicate is rare (only that crash window) and recognisable downstream.
  const messageId = row.message_id ?? messageIdFor(row.id);
  if (row.status === 'sending')
    logger.warn(
      { component: 'notification', notification_id: row.id, client_id: row.client_id, message_id: messageId },
      'resending after an interrupted send',
    );
  await repo.markSending(db, row.id, messageId);
  try {
    await mailer.send({
      to,
      subject: rendered.subject,
      text: rendered.text,
      ...(rendered.html ? { html: rendered.html } : {}),
      notificationId: row.id,
      messageId,
    });
  } catch (err) {
    // Only the mailer's safe reason is stored and shown, never a raw error (it may quote the relay or AUTH).
    const failure =
      err instanceof DeliveryFailure
        ? err
        : new DeliveryFailure(`delivery failed (${(err as Error)?.name ?? 'unknown error'})`, false);
    const status = failure.permanent || input.finalAttempt ? 'failed' : 'retrying';
    await repo.markNotification(db, row.id, status, failure.reason.slice(0, 500));
    console.warn(
      `notification ${row.id} ${status}: ${failure.reason}; journey ${input.workflowId ?? '(none)'}, campaign ${input.campaignId ?? '(none)'}, client ${input.clientId}, attempt ${row.attempts + 1}`,
    );
    if (failure.permanent)
      throw new AppError('BAD_REQUEST', `email delivery refused: ${failure.reason}`, [
        { path: 'to', message: failure.reason },
      ]);
    throw new AppError('UPSTREAM_UNAVAILABLE', `email delivery failed: ${failure.reason}`);
  }
  await repo.markNotification(db, row.id, 'sent', null);
  return { notification_id: row.id, status: 'sent' };
}

/** The Message-ID of a notification's email: derived from its id, so every resend carries the same one. */
export function messageIdFor(notificationId: string): string {
  return `<${notificationId}@pulse>`;
}

/** One attempt's outcome at one endpoint. */
export interface WebhookAttempt {
  /** The guard refused the URL (it points inside our network): nothing was sent or recorded. */
  refused: boolean;
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

/**
 * Sends one signed message to one endpoint and records the attempt in its delivery log (status, latency,
 * a safe error, the body). Signed with the current secret and, during a rotation's overlap, the replaced
 * one too. Used by the journeys' deliveries and by a client's redelivery of one logged message.
 */
export async function attemptWebhook(
  db: Db,
  box: SecretBox,
  ep: { id: string; client_id: string; url: string },
  message: { id: string; topic: string; body: string },
  fetchImpl: typeof fetch,
  now: () => number = Date.now,
): Promise<WebhookAttempt> {
  const secrets = (await webhookRepo.signingSecrets(db, ep.client_id, ep.id, new Date(now()))) ?? [];
  const started = performance.now();
  let refused = false;
  let error: string | null = null;
  const res = await fetchImpl(ep.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      // Standard Webhooks: webhook-id is the message (the same on every retry), signed with the secret.
      ...webhookHeaders({
        id: message.id,
        timestamp: Math.floor(now() / 1000),
        body: message.body,
        secrets: secrets.map((s) => box.decrypt(s)),
      }),
    },
    body: message.body,
    signal: AbortSignal.timeout(10_000),
  }).catch((err: unknown) => {
    refused = err instanceof AppError && err.code === 'OUTBOUND_REFUSED';
    // Only a category is kept: a raw socket error may name internal addresses.
    error = (err as Error)?.name === 'TimeoutError' ? 'timeout' : 'connection failed';
    return null;
  });
  const latencyMs = Math.round(performance.now() - started);
  if (refused)
    return { refused, ok: false, statusCode: null, latencyMs, error: 'refused by the outbound guard' };
  // The answer's body is never read into the log: it is the receiver's, and may hold anything.
  await res?.body?.cancel().catch(() => {});
  const ok = res?.ok === true;
  if (res && !ok) error = `HTTP ${res.status}`;
  const at = new Date(now());
  await repo.recordDelivery(db, {
    id: newId('whd'),
    client_id: ep.client_id,
    endpoint_id: ep.id,
    idempotency_key: message.id,
    topic: message.topic,
    status_code: res?.status ?? null,
    delivered_at: ok ? at : null,
    latency_ms: latencyMs,
    error,
    payload: message.body,
    last_attempt_at: at,
  });
  return { refused, ok, statusCode: res?.status ?? null, latencyMs, error };
}

/**
 * Delivers a signed webhook to every enabled endpoint of the client subscribed to the topic (or `*`),
 * once per idempotency key and endpoint, through the outbound guard. A non-2xx answer throws a retryable
 * error so the journey retries later; an endpoint the guard refuses (it points inside our network) is
 * skipped, since no retry can make it acceptable, and the other endpoints are still served.
 */
export async function sendWebhook(
  db: Db,
  box: SecretBox,
  input: { clientId: string; topic: string; payload: Record<string, unknown>; idempotencyKey: string },
  fetchImpl: typeof fetch,
  now: () => number = Date.now,
): Promise<{ delivered: number; refused: number }> {
  const endpoints = (await repo.endpointsFor(db, input.clientId)).filter(
    (e) => e.topics.includes(input.topic) || e.topics.includes('*'),
  );
  let delivered = 0;
  let refused = 0;
  let failure: AppError | null = null;
  const body = JSON.stringify({ id: input.idempotencyKey, topic: input.topic, data: input.payload });
  for (const ep of endpoints) {
    if (await repo.findDelivery(db, input.clientId, ep.id, input.idempotencyKey)) {
      delivered++;
      continue;
    }
    const attempt = await attemptWebhook(
      db,
      box,
      ep,
      { id: input.idempotencyKey, topic: input.topic, body },
      fetchImpl,
      now,
    );
    if (attempt.refused) {
      refused++;
      continue;
    }
    if (!attempt.ok) {
      failure ??= new AppError(
        'UPSTREAM_UNAVAILABLE',
        `webhook endpoint ${ep.id} answered ${attempt.statusCode ?? 'nothing'}`,
      );
      continue;
    }
    delivered++;
  }
  if (failure) throw failure;
  return { delivered, refused };
}
