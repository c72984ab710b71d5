import { randomUUID } from 'node:crypto';
import type { ApiKeyResolver, Principal } from '../../services/platform/auth.ts';

/** Test helpers shared by this service's tests (not used at run time). */
export function fakeResolver(
  keys: Record<string, Partial<Principal> & { clientId: string }>,
): ApiKeyResolver {
  return {
    async resolve(raw) {
      const k = keys[raw];
      if (!k) return null;
      return {
        clientStatus: 'active',
        keyKind: raw.startsWith('sk_') ? 'secret' : 'publishable',
        keyId: `key_${raw}`,
        role: raw.startsWith('sk_') ? 'owner' : null,
        ...k,
      };
    },
  };
}

/** A valid event of the given type with realistic context (about 600 bytes serialized). */
export function sampleEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event: 'page_viewed',
    event_id: randomUUID(),
    occurred_at: new Date().toISOString(),
    anonymous_id: 'anon_7f3c9a2b',
    session_id: 'sess_19ab',
    context: {
      sdk: { name: 'pulse-browser', version: '0.1.0' },
      locale: { language: 'en-US', timezone: 'Europe/Paris' },
      page: {
        url: 'https://shop.example.com/pricing?utm_source=newsletter',
        path: '/pricing',
        title: 'Pricing',
      },
      marketing: { utm: { source: 'newsletter', medium: 'email', campaign: 'spring' } },
      device: { screen: '1440x900' },
    },
    ...overrides,
  };
}

export const purchase = (overrides: Record<string, unknown> = {}) =>
  sampleEvent({
    event: 'purchase_completed',
    participant_id: 'user_42',
    properties: { order_id: `ord_${randomUUID().slice(0, 8)}`, amount: 120.5, currency: 'EUR' },
    ...overrides,
  });
