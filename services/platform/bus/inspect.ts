import type { Bus, BusMessage } from '../../../contract/bus.ts';

/** What both adapters offer beyond `Bus`, for operators and the contract tests. */
export interface InspectableBus extends Bus {
  /** Messages a subscription gave up on after `maxAttempts` deliveries (kept, never dropped). */
  deadLetters(subscription: string): Promise<BusMessage[]>;
  /** Messages waiting per subscription (pending: not yet handled; dead: parked), for metrics. */
  depth(): Promise<BusDepth[]>;
  /** Resolves when the bus's backing store answers (readiness); rejects otherwise. */
  ping(): Promise<void>;
}

export interface BusDepth {
  subscription: string;
  pending: number;
  dead: number;
}
