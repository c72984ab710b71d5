import type { Bus, Subscription } from '../../contract/bus.ts';
import type { Db } from '../platform/db.ts';
import * as repo from './repo.ts';
import { trackClick } from './service.ts';

interface TrackedEvent {
  event: string;
  event_id: string;
  client_id: string;
  occurred_at: string;
  anonymous_id?: string;
  participant_id?: string;
  referral_id?: string;
  ip_hash?: string;
  properties?: { code?: string; channel?: string; referral_code?: string };
  context?: { ip_hash?: string };
  geo?: { ip_hash?: string };
}

/** Share and click tracking from the event stream (spec: ES → RefS "track share / click + attribution"). */
export async function startReferralTracking(bus: Bus, db: Db): Promise<Subscription[]> {
  const clicks = await bus.subscribe('referral-clicks', 'event.referral_clicked.#', async (msg) => {
    const e = msg.payload as TrackedEvent;
    const code = e.properties?.code ?? e.properties?.referral_code ?? e.referral_id;
    if (!code) return;
    await trackClick(db, e.client_id, {
      eventId: e.event_id,
      code,
      visitorId: e.anonymous_id ?? null,
      ipHash: e.ip_hash ?? e.context?.ip_hash ?? e.geo?.ip_hash ?? null,
      at: new Date(e.occurred_at),
    });
  });
  const shares = await bus.subscribe('referral-shares', 'event.referral_shared.#', async (msg) => {
    const e = msg.payload as TrackedEvent;
    if (!e.participant_id) return;
    await repo.recordShare(db, {
      client_id: e.client_id,
      event_id: e.event_id,
      participant_id: e.participant_id,
      channel: e.properties?.channel ?? 'unknown',
      shared_at: new Date(e.occurred_at),
    });
  });
  return [clicks, shares];
}
