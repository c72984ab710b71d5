import type { Bus, Subscription } from '../../../contract/bus.ts';
import { AppError } from '../../../contract/errors.ts';
import { childLogger } from '../../platform/log.ts';
import { addDuration } from '../allocation/calculate.ts';
import type { RewardDeps } from '../deps.ts';
import { moveReward } from '../lifecycle/repo.ts';
import type { RewardState } from '../lifecycle/state-machine.ts';
import { type FraudRewardDb, findClawback, rewardsOfOrder, saveClawback } from './repo.ts';

/**
 * Clawback: a refund or cancellation of what a reward was earned for, within the campaign's
 * `clawback_window` (default 30 days after the reward), reverses every reward of that order or
 * subscription — referrer and referee side alike — through the state machine (→ REVERSED), which gives
 * budget and limits back and writes a negative ledger entry for store credit (fraud/reversal.ts). Each
 * move is logged in reward_transitions with the event as actor; the event and what it did are kept in
 * reward_clawbacks, so a redelivered event (same id) changes nothing.
 */
export const DEFAULT_CLAWBACK_WINDOW = '30d';
const REVERSIBLE: readonly RewardState[] = [
  'PENDING',
  'ELIGIBLE',
  'APPROVED',
  'FAILED',
  'FULFILLED',
  'REDEEMED',
];

export interface ClawbackEvent {
  clientId: string;
  eventId: string;
  event: string;
  /** order_id of a refund, subscription_id of a cancellation. */
  orderId: string;
  at: Date;
}

export interface ClawbackResult {
  replayed: boolean;
  reversed: string[];
  outside_window: string[];
}

export async function clawback(deps: RewardDeps, e: ClawbackEvent): Promise<ClawbackResult> {
  const db = deps.db as unknown as FraudRewardDb;
  const seen = await findClawback(db, e.clientId, e.eventId);
  if (seen) return { replayed: true, reversed: seen.reversed, outside_window: seen.outside_window };
  const reversed: string[] = [];
  const outside: string[] = [];
  for (const r of await rewardsOfOrder(db, e.clientId, e.orderId)) {
    if (!REVERSIBLE.includes(r.state)) continue;
    const program = await deps.programs.get(r.client_id, r.campaign_id, r.version);
    const window = program.constraints.clawback_window ?? DEFAULT_CLAWBACK_WINDOW;
    if (e.at.getTime() > addDuration(new Date(r.created_at), window).getTime()) {
      outside.push(r.id);
      continue;
    }
    try {
      await moveReward(deps.db, {
        clientId: r.client_id,
        rewardId: r.id,
        from: [r.state],
        to: 'REVERSED',
        actor: `clawback:${e.event}:${e.eventId}`,
        reason: `${e.event} ${e.orderId}`,
      });
      reversed.push(r.id);
    } catch (err) {
      // Moved by someone else meanwhile (fulfilled, rejected): the next redelivery sees its new state.
      if (!(err instanceof AppError && err.code === 'ILLEGAL_TRANSITION')) throw err;
    }
  }
  await saveClawback(db, {
    client_id: e.clientId,
    event_id: e.eventId,
    event: e.event,
    order_id: e.orderId,
    reversed,
    outside_window: outside,
  });
  return { replayed: false, reversed, outside_window: outside };
}

interface MoneyEvent {
  event: string;
  event_id: string;
  client_id: string;
  occurred_at: string;
  source?: string;
  properties?: { order_id?: unknown; subscription_id?: unknown };
}

/**
 * Refunds and cancellations from the event stream. Only signed server events count: taking a reward
 * back moves money, and a browser must not be able to do it.
 */
export async function startClawbacks(bus: Bus, deps: RewardDeps): Promise<Subscription[]> {
  const log = childLogger({ component: 'reward-clawback' });
  const handle = (ref: 'order_id' | 'subscription_id') => async (msg: { payload: unknown }) => {
    const e = msg.payload as MoneyEvent;
    const orderId = e.properties?.[ref];
    if (e.source !== 'server' || typeof orderId !== 'string' || !orderId) return;
    const r = await clawback(deps, {
      clientId: e.client_id,
      eventId: e.event_id,
      event: e.event,
      orderId,
      at: new Date(e.occurred_at),
    });
    if (r.reversed.length || r.outside_window.length)
      log.info({ client_id: e.client_id, event_id: e.event_id, ...r }, 'clawback applied');
  };
  return [
    await bus.subscribe('reward-clawback-refunds', 'event.purchase_refunded.#', handle('order_id')),
    await bus.subscribe(
      'reward-clawback-cancellations',
      'event.subscription_cancelled.#',
      handle('subscription_id'),
    ),
  ];
}
