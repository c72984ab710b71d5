/**
 * The event bus seen by every service: durable, at-least-once, topic-based. Adapters: a Postgres-backed
 * queue (local default, services/platform/bus/) and SNS topics fanned out to SQS queues (production).
 *
 * Topics are dot-separated words, e.g. `event.user_signed_up.<client>.<campaign>` or
 * `workflow.completed.<client>`. Subscriptions use patterns where `*` matches one word and `#` matches
 * the rest (zero or more words), as in AMQP.
 */
export interface BusMessage<T = unknown> {
  /** Unique id; publishing the same id twice delivers once per subscription. */
  id: string;
  topic: string;
  payload: T;
  publishedAt: string;
  /** Delivery attempt, starting at 1. */
  attempt: number;
  /**
   * Metadata beside the payload (SNS message attribute, Postgres column): the correlation id of the
   * request that caused the message, so its consumers log and act under the same id.
   */
  correlationId?: string;
}

/** One message to publish; `id` makes publishing idempotent, `correlationId` travels as metadata. */
export interface OutgoingMessage {
  topic: string;
  payload: unknown;
  id?: string;
  correlationId?: string;
}

export interface SubscribeOptions {
  /** Deliveries after which a message is parked as dead (kept, not dropped). Default 10. */
  maxAttempts?: number;
  /** How many messages a subscriber handles at once. Default 8. */
  concurrency?: number;
}

export interface Subscription {
  /** Stops receiving; in-flight handlers finish first. */
  stop(): Promise<void>;
}

export interface Bus {
  /** Resolves once the message is durable. Idempotent by `id`. */
  publish(topic: string, payload: unknown, opts?: { id?: string; correlationId?: string }): Promise<void>;
  publishMany(messages: OutgoingMessage[]): Promise<void>;
  /**
   * Delivers matching messages to `handler`; a handler that throws gets the message again later with
   * backoff. `name` identifies the durable subscription: restarting with the same name resumes it.
   */
  subscribe(
    name: string,
    pattern: string,
    handler: (msg: BusMessage) => Promise<void>,
    opts?: SubscribeOptions,
  ): Promise<Subscription>;
  close(): Promise<void>;
}

/** `*` = one word, `#` = zero or more words. */
export function topicMatches(pattern: string, topic: string): boolean {
  const p = pattern.split('.');
  const t = topic.split('.');
  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === t.length;
    if (p[i] === '#') return match(i + 1, j) || (j < t.length && match(i, j + 1));
    if (j === t.length) return false;
    return (p[i] === '*' || p[i] === t[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}
