import type { Bus, BusMessage } from '../../../contract/bus.ts';

/** What both adapters offer beyond `Bus`, for operators and the contract tests. */
export interface InspectableBus extends Bus {
  /** Messages a subscription gave up on after `maxAttempts` deliveries (kept, never dropped). */
  deadLetters(subscription: string): Promise<BusMessage[]>;
}
