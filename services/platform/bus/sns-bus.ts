import {
  CreateTopicCommand,
  ListTopicsCommand,
  PublishBatchCommand,
  type PublishBatchRequestEntry,
  SetSubscriptionAttributesCommand,
  type SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  type BusMessage,
  type OutgoingMessage,
  type SubscribeOptions,
  type Subscription,
  topicMatches,
} from '../../../contract/bus.ts';
import { AppError } from '../../../contract/errors.ts';
import { InternalError } from '../../../contract/internal-error.ts';
import { backoffDelay } from '../backoff.ts';
import { logger } from '../log.ts';
import type { InspectableBus } from './inspect.ts';

/** SNS's limit for one message, and for one PublishBatch request in total. */
export const SNS_MAX_BYTES = 256 * 1024;

/**
 * The production bus: SNS topics fanned out to SQS queues.
 *
 * Mapping (SNS names allow only letters, digits, `-` and `_`, so dotted bus topics cannot be SNS names):
 *  - one SNS topic per first word of the bus topic: `event.purchase_completed.cli_1.none` is published to
 *    SNS topic `{prefix}-event`, with the full bus topic in the message attribute `topic` and the
 *    message id in `message_id`; the body is the JSON envelope {id, topic, payload, publishedAt};
 *  - a subscription `name` is an SQS queue `{prefix}-{name}` (plus `{prefix}-{name}-dead` for dead
 *    letters) subscribed to the SNS topic of the pattern's first word, with raw delivery and, when the
 *    pattern starts with literal words, a filter policy `{"topic": [{"prefix": "<those words>"}]}`;
 *  - SNS filter policies cannot express `*`/`#` in the middle of a pattern, so the consumer applies
 *    `topicMatches` to every message as the authority and deletes those that do not match.
 * Patterns must therefore begin with a literal word (`event.#`, not `#`).
 *
 * Idempotent publish: standard SNS topics do not deduplicate, so consumers do: a message whose id was
 * already taken by a different SQS message is dropped (bounded memory of recent ids per subscription).
 * Retries: a failed handler hides the message for the backoff delay (ChangeMessageVisibility); after
 * `maxAttempts` receives it is moved to the dead-letter queue.
 */
export interface SnsBusOptions {
  sns: SNSClient;
  sqs: SQSClient;
  /** Prefix of every SNS topic and SQS queue name, per environment. Default "pulse". */
  prefix?: string;
  /** Long-poll wait of a receive, in seconds (0–20). Default 10. */
  waitTimeSeconds?: number;
  visibilityTimeoutSeconds?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Recent message ids remembered per subscription for deduplication. Default 50 000. */
  dedupMemory?: number;
  log?: (message: string, err?: unknown) => void;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');

export function createSnsBus(opts: SnsBusOptions): InspectableBus {
  const prefix = safe(opts.prefix ?? 'pulse');
  const log =
    opts.log ?? ((m, e) => logger.error({ component: 'sns-bus', ...(e === undefined ? {} : { err: e }) }, m));
  const baseMs = opts.retryBaseMs ?? 1_000;
  const maxMs = opts.retryMaxMs ?? 5 * 60_000;
  const topicArns = new Map<string, Promise<string>>();
  const queueUrls = new Map<string, Promise<string>>();
  const subscriptions = new Set<Subscription>();
  /** Queues of the subscriptions this process made (what `depth` reports). */
  const queuesOf = new Map<string, { url: string; deadUrl: string }>();

  function topicArn(family: string): Promise<string> {
    let arn = topicArns.get(family);
    if (!arn) {
      // CreateTopic is idempotent: it returns the existing topic's ARN.
      arn = opts.sns
        .send(new CreateTopicCommand({ Name: `${prefix}-${safe(family)}` }))
        .then(
          (r) => r.TopicArn ?? Promise.reject(new InternalError('BUS_SETUP', 'CreateTopic returned no ARN')),
        );
      arn.catch(() => topicArns.delete(family));
      topicArns.set(family, arn);
    }
    return arn;
  }

  function queueUrl(name: string, attributes: Record<string, string> = {}): Promise<string> {
    let url = queueUrls.get(name);
    if (!url) {
      url = opts.sqs
        .send(new CreateQueueCommand({ QueueName: name.slice(0, 80), Attributes: attributes }))
        .then(
          (r) => r.QueueUrl ?? Promise.reject(new InternalError('BUS_SETUP', 'CreateQueue returned no URL')),
        );
      url.catch(() => queueUrls.delete(name));
      queueUrls.set(name, url);
    }
    return url;
  }

  async function queueArn(url: string): Promise<string> {
    const r = await opts.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    const arn = r.Attributes?.QueueArn;
    if (!arn) throw new InternalError('BUS_SETUP', `queue ${url} has no ARN`);
    return arn;
  }

  async function publishMany(messages: OutgoingMessage[]): Promise<void> {
    const byFamily = new Map<string, { entry: PublishBatchRequestEntry; bytes: number }[]>();
    const tooLarge: string[] = [];
    for (const m of messages) {
      const id = m.id ?? crypto.randomUUID();
      const family = m.topic.split('.')[0] ?? m.topic;
      const body = JSON.stringify({
        id,
        topic: m.topic,
        payload: m.payload ?? null,
        publishedAt: new Date().toISOString(),
        // In the envelope (what subscribers read) and as an attribute (what operators filter on).
        ...(m.correlationId ? { correlationId: m.correlationId } : {}),
      });
      // SNS counts the body and every attribute's name, type and value against 256 KiB.
      const bytes =
        Buffer.byteLength(body) +
        Buffer.byteLength(m.topic) +
        Buffer.byteLength(id) +
        'topicmessage_idStringString'.length +
        (m.correlationId ? Buffer.byteLength(m.correlationId) + 'correlation_idString'.length : 0);
      if (bytes > SNS_MAX_BYTES) tooLarge.push(id);
      const list = byFamily.get(family) ?? [];
      list.push({
        entry: {
          Id: `m${list.length}`,
          Message: body,
          MessageAttributes: {
            topic: { DataType: 'String', StringValue: m.topic },
            message_id: { DataType: 'String', StringValue: id },
            ...(m.correlationId
              ? { correlation_id: { DataType: 'String', StringValue: m.correlationId } }
              : {}),
          },
        },
        bytes,
      });
      byFamily.set(family, list);
    }
    // Refused before anything is sent (one oversized entry would fail its whole PublishBatch): the
    // caller (the event drainer) isolates and parks it, and publishes the others.
    if (tooLarge.length > 0)
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `${tooLarge.length} messages exceed SNS's ${SNS_MAX_BYTES} bytes (first id ${tooLarge[0]})`,
      );
    for (const [family, entries] of byFamily) {
      const arn = await topicArn(family);
      // PublishBatch: at most 10 entries and 256 KiB in total.
      for (let i = 0; i < entries.length; ) {
        const chunk: PublishBatchRequestEntry[] = [];
        let total = 0;
        while (i < entries.length && chunk.length < 10) {
          const e = entries[i]!;
          if (chunk.length > 0 && total + e.bytes > SNS_MAX_BYTES) break;
          chunk.push({ ...e.entry, Id: `m${chunk.length}` });
          total += e.bytes;
          i++;
        }
        const r = await opts.sns
          .send(new PublishBatchCommand({ TopicArn: arn, PublishBatchRequestEntries: chunk }))
          .catch((err: unknown) => {
            // SNS refusing the request itself (a limit this adapter does not know yet): the messages'
            // fault, not an outage, so the caller isolates them instead of retrying forever.
            const e = err as { $fault?: string; name?: string };
            if (e.$fault === 'client' && /InvalidParameter|TooLong|TooBig|Validation/i.test(e.name ?? ''))
              throw new AppError('VALIDATION_FAILED', `SNS refused the batch: ${e.name}`);
            throw err;
          });
        // Resolve only once every message is accepted by SNS (durable); otherwise the caller retries.
        // A sender fault is the message's own problem (the caller isolates it); anything else may pass.
        const failed = r.Failed ?? [];
        if (failed.length > 0) {
          const text = `SNS rejected ${failed.length} messages: ${failed[0]?.Message ?? failed[0]?.Code}`;
          if (failed.every((f) => f.SenderFault)) throw new AppError('VALIDATION_FAILED', text);
          throw new AppError('UPSTREAM_UNAVAILABLE', text);
        }
      }
    }
  }

  async function subscribe(
    name: string,
    pattern: string,
    handler: (msg: BusMessage) => Promise<void>,
    sopts: SubscribeOptions = {},
  ): Promise<Subscription> {
    const words = pattern.split('.');
    const family = words[0];
    if (!family || family === '*' || family === '#')
      throw new InternalError(
        'BUS_SETUP',
        `SNS bus patterns must start with a literal word, got "${pattern}"`,
      );
    const literal: string[] = [];
    for (const w of words) {
      if (w === '*' || w === '#') break;
      literal.push(w);
    }
    const maxAttempts = sopts.maxAttempts ?? 10;
    const concurrency = Math.max(1, sopts.concurrency ?? 8);
    const qName = `${prefix}-${safe(name)}`;
    const topic = await topicArn(family);
    const url = await queueUrl(qName, {
      VisibilityTimeout: String(opts.visibilityTimeoutSeconds ?? 60),
      MessageRetentionPeriod: String(14 * 24 * 3600),
    });
    const deadUrl = await queueUrl(`${qName}-dead`.slice(0, 80), {
      MessageRetentionPeriod: String(14 * 24 * 3600),
    });
    queuesOf.set(name, { url, deadUrl });
    const arn = await queueArn(url);
    // Allow the SNS topic to write into the queue (ignored by moto, required on AWS).
    await opts.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: url,
        Attributes: {
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'sns.amazonaws.com' },
                Action: 'sqs:SendMessage',
                Resource: arn,
                Condition: { ArnEquals: { 'aws:SourceArn': topic } },
              },
            ],
          }),
        },
      }),
    );
    // Subscribe is idempotent for the same topic + endpoint.
    const sub = await opts.sns.send(
      new SubscribeCommand({
        TopicArn: topic,
        Protocol: 'sqs',
        Endpoint: arn,
        Attributes: { RawMessageDelivery: 'true' },
        ReturnSubscriptionArn: true,
      }),
    );
    if (literal.length > 1 && sub.SubscriptionArn) {
      await opts.sns.send(
        new SetSubscriptionAttributesCommand({
          SubscriptionArn: sub.SubscriptionArn,
          AttributeName: 'FilterPolicy',
          AttributeValue: JSON.stringify({ topic: [{ prefix: literal.join('.') }] }),
        }),
      );
    }

    const owners = new Map<string, string>(); // bus message id → SQS MessageId that owns it
    const remember = (id: string, sqsId: string) => {
      owners.set(id, sqsId);
      if (owners.size > (opts.dedupMemory ?? 50_000)) owners.delete(owners.keys().next().value as string);
    };
    let stopped = false;
    const abort = new AbortController();
    const running = new Set<Promise<void>>();

    const del = (m: Message) =>
      opts.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));

    async function handle(m: Message): Promise<void> {
      let env: { id: string; topic: string; payload: unknown; publishedAt: string; correlationId?: unknown };
      try {
        env = JSON.parse(m.Body ?? '');
      } catch {
        log(`dropping unparsable message ${m.MessageId} from ${qName}`);
        await del(m);
        return;
      }
      if (!topicMatches(pattern, env.topic)) {
        await del(m);
        return;
      }
      const owner = owners.get(env.id);
      if (owner && owner !== m.MessageId) {
        await del(m); // the same bus message published twice: delivered once
        return;
      }
      remember(env.id, m.MessageId ?? '');
      const attempt = Number(m.Attributes?.ApproximateReceiveCount ?? '1');
      try {
        await handler({
          id: env.id,
          topic: env.topic,
          payload: env.payload,
          publishedAt: env.publishedAt,
          attempt,
          ...(typeof env.correlationId === 'string' ? { correlationId: env.correlationId } : {}),
        });
        await del(m);
      } catch (err) {
        if (attempt >= maxAttempts) {
          await opts.sqs.send(
            new SendMessageCommand({
              QueueUrl: deadUrl,
              MessageBody: m.Body ?? '',
              MessageAttributes: {
                attempts: { DataType: 'Number', StringValue: String(attempt) },
                error: {
                  DataType: 'String',
                  StringValue: (err instanceof Error ? err.message : String(err)).slice(0, 500) || '-',
                },
              },
            }),
          );
          await del(m);
        } else {
          const seconds = Math.round(backoffDelay(attempt, { baseMs, maxMs }) / 1000);
          await opts.sqs.send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: url,
              ReceiptHandle: m.ReceiptHandle,
              VisibilityTimeout: seconds,
            }),
          );
        }
      }
    }

    const loop = (async () => {
      while (!stopped) {
        const free = concurrency - running.size;
        if (free <= 0) {
          await Promise.race(running);
          continue;
        }
        let messages: Message[] = [];
        try {
          const r = await opts.sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: url,
              MaxNumberOfMessages: Math.min(10, free),
              WaitTimeSeconds: opts.waitTimeSeconds ?? 10,
              MessageSystemAttributeNames: ['ApproximateReceiveCount'],
              MessageAttributeNames: ['All'],
            }),
            { abortSignal: abort.signal },
          );
          messages = r.Messages ?? [];
        } catch (err) {
          if (stopped) break;
          log(`receive from ${qName} failed`, err);
          await new Promise((r) => setTimeout(r, 1_000));
        }
        for (const m of messages) {
          const p: Promise<void> = handle(m)
            .catch((err) => log(`handling ${m.MessageId} failed; SQS redelivers it`, err))
            .finally(() => running.delete(p));
          running.add(p);
        }
      }
      await Promise.all(running);
    })();

    const subscription: Subscription = {
      async stop() {
        stopped = true;
        abort.abort();
        await loop;
        subscriptions.delete(subscription);
      },
    };
    subscriptions.add(subscription);
    return subscription;
  }

  async function deadLetters(name: string): Promise<BusMessage[]> {
    const url = await queueUrl(`${prefix}-${safe(name)}-dead`.slice(0, 80));
    const seen = new Map<string, BusMessage>();
    // Peek (visibility 0) a few times: SQS returns a sample of the queue on each receive.
    for (let i = 0; i < 3; i++) {
      const r = await opts.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
        }),
      );
      for (const m of r.Messages ?? []) {
        const env = JSON.parse(m.Body ?? '{}') as {
          id: string;
          topic: string;
          payload: unknown;
          publishedAt: string;
        };
        seen.set(env.id, { ...env, attempt: Number(m.MessageAttributes?.attempts?.StringValue ?? 0) });
      }
    }
    return [...seen.values()];
  }

  return {
    publish: (topic, payload, o) => publishMany([{ topic, payload, ...o }]),
    publishMany,
    subscribe,
    deadLetters,
    async depth() {
      const count = async (
        url: string,
        names: ('ApproximateNumberOfMessages' | 'ApproximateNumberOfMessagesNotVisible')[],
      ) => {
        const r = await opts.sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names }),
        );
        return names.reduce((n, k) => n + Number(r.Attributes?.[k] ?? 0), 0);
      };
      const out = [];
      for (const [subscription, q] of queuesOf) {
        out.push({
          subscription,
          pending: await count(q.url, [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
          ]),
          dead: await count(q.deadUrl, ['ApproximateNumberOfMessages']),
        });
      }
      return out.sort((a, b) => a.subscription.localeCompare(b.subscription));
    },
    async ping() {
      await opts.sns.send(new ListTopicsCommand({}));
    },
    async close() {
      await Promise.all([...subscriptions].map((s) => s.stop()));
    },
  };
}
