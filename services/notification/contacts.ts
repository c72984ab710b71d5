import type { Bus, Subscription } from '../../contract/bus.ts';
import type { Db } from '../platform/db.ts';
import { upsertContact } from './repo.ts';

interface IdentifyingEvent {
  client_id: string;
  participant_id?: string;
  traits?: { email?: unknown; name?: unknown; first_name?: unknown; language?: unknown };
  context?: { locale?: { language?: unknown } };
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const text = (v: unknown, max = 320): string | undefined =>
  typeof v === 'string' && v.trim() && v.length <= max ? v.trim() : undefined;

/** Keeps participants' contact details from the events that carry them. */
export async function startContactTracking(bus: Bus, db: Db): Promise<Subscription[]> {
  const handle = async (payload: unknown) => {
    const e = payload as IdentifyingEvent;
    if (!e.participant_id || !e.traits) return;
    const email = text(e.traits.email);
    const name = text(e.traits.name, 200) ?? text(e.traits.first_name, 200);
    const locale = text(e.traits.language, 35) ?? text(e.context?.locale?.language, 35);
    if (!email && !name && !locale) return;
    await upsertContact(db, {
      client_id: e.client_id,
      participant_id: e.participant_id,
      ...(email && EMAIL.test(email) ? { email: email.toLowerCase() } : {}),
      ...(name ? { name } : {}),
      ...(locale ? { locale } : {}),
    });
  };
  const topics = ['user_signed_up', 'user_identified', 'user_updated_profile', 'newsletter_subscribed'];
  return Promise.all(
    topics.map((t) => bus.subscribe(`contacts-${t}`, `event.${t}.#`, (msg) => handle(msg.payload))),
  );
}
