import type { Bus, Subscription } from '../../../contract/bus.ts';
import type { BoardEvent, Leaderboards } from './leaderboards.ts';

/** Durable subscription name: a restart resumes where it stopped. */
export const LEADERBOARD_SUBSCRIPTION = 'referral-leaderboards';

/**
 * Every bus event (`event.#`) to the leaderboards: each board counts what its metric names. The bus
 * delivers at least once; the dedup rows make each event count once. A failure (Postgres, Redis) throws
 * so the bus delivers again later; the re-delivery adds nothing twice and repairs the Redis entry.
 */
export function startLeaderboardTracking(bus: Bus, boards: Leaderboards): Promise<Subscription> {
  return bus.subscribe(
    LEADERBOARD_SUBSCRIPTION,
    'event.#',
    async (msg) => {
      const e = msg.payload as Partial<BoardEvent> | null;
      if (
        !e ||
        typeof e.event !== 'string' ||
        typeof e.event_id !== 'string' ||
        typeof e.client_id !== 'string'
      )
        return;
      if (typeof e.occurred_at !== 'string' || Number.isNaN(Date.parse(e.occurred_at))) return;
      await boards.handleEvent(e as BoardEvent);
    },
    { concurrency: 4 },
  );
}
