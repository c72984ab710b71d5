import type { IncomingEvent } from './schema.ts';

/**
 * Traits that change how a participant is reached (notification learns contacts from traits). A
 * publishable key is public, so from a browser they count only with an identity token for the event's
 * participant; otherwise they are stripped and the rest of the event is accepted (policy in sdk/README.md).
 */
export const CONTACT_TRAITS: ReadonlySet<string> = new Set(['email', 'phone']);

/** Removes contact-changing traits when `trusted` is false; returns the event and the paths removed. */
export function guardContactTraits(
  event: IncomingEvent,
  trusted: boolean,
): { event: IncomingEvent; stripped: string[] } {
  const traits = event.traits;
  if (trusted || !traits) return { event, stripped: [] };
  const stripped = Object.keys(traits).filter((k) => CONTACT_TRAITS.has(k.toLowerCase()));
  if (stripped.length === 0) return { event, stripped };
  const kept = Object.fromEntries(Object.entries(traits).filter(([k]) => !stripped.includes(k)));
  return { event: { ...event, traits: kept }, stripped: stripped.map((k) => `traits.${k}`) };
}

/** Whether a raw (not yet validated) event carries contact traits, so the token is checked only then. */
export function carriesContactTraits(value: unknown): boolean {
  const traits = (value as { traits?: unknown } | null)?.traits;
  return (
    typeof traits === 'object' &&
    traits !== null &&
    Object.keys(traits).some((k) => CONTACT_TRAITS.has(k.toLowerCase()))
  );
}
