import type { Bus, BusMessage } from '../../../contract/bus.ts';

/** What both adapters offer beyond `Bus`, for operators and the contract tests. */
export interface InspectableBus extends Bus {
  /** Messages a subscription gave up on after `maxAttempts` deliveries (kept, never dropped). */
  deadLetters(subscription: string): Promise<BusMessage[]>;
}

/** Delay before delivery `attempt + 1` after a failure: doubling from `baseMs`, capped. */
export function retryDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 20));
}
