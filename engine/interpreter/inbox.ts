import type { JourneyEvent } from '../../contract/plan.ts';

const SEEN_LIMIT = 1_000;
const INBOX_LIMIT = 200;

/**
 * Ordered events delivered by the `event` signal and not yet consumed by a `wait`. The bus is
 * at-least-once, so events are deduplicated by `event_id`; only event names some `wait` of the plan
 * listens for are kept, which bounds the inbox of a journey that keeps receiving unrelated triggers.
 */
export class Inbox {
  readonly items: JourneyEvent[];
  private readonly seenOrder: string[];
  private readonly seenSet: Set<string>;

  constructor(
    private readonly accepts: ReadonlySet<string>,
    items: JourneyEvent[] = [],
    seen: string[] = [],
  ) {
    this.items = [...items];
    this.seenOrder = [...seen];
    this.seenSet = new Set(seen);
  }

  /** Marks an id as already handled (the trigger, which also arrives as a signal with signalWithStart). */
  markSeen(eventId: string): void {
    if (this.seenSet.has(eventId)) return;
    this.seenSet.add(eventId);
    this.seenOrder.push(eventId);
    if (this.seenOrder.length > SEEN_LIMIT) {
      const dropped = this.seenOrder.shift();
      if (dropped !== undefined) this.seenSet.delete(dropped);
    }
  }

  /** `duplicate`: seen before; `ignored`: no wait of this plan listens for it; `kept`: queued. */
  push(event: JourneyEvent): 'duplicate' | 'ignored' | 'kept' {
    if (this.seenSet.has(event.event_id)) return 'duplicate';
    this.markSeen(event.event_id);
    if (!this.accepts.has(event.event)) return 'ignored';
    this.items.push(event);
    // Oldest first: a journey flooded with events keeps the most recent ones.
    if (this.items.length > INBOX_LIMIT) this.items.shift();
    return 'kept';
  }

  /** Removes and returns the first event that satisfies `test`, in arrival order. */
  take(test: (event: JourneyEvent) => boolean): JourneyEvent | undefined {
    const index = this.items.findIndex(test);
    if (index < 0) return undefined;
    return this.items.splice(index, 1)[0];
  }

  seen(): string[] {
    return [...this.seenOrder];
  }
}
