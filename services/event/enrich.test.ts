import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enrichEvent, type RequestFacts } from './enrich.ts';
import type { IncomingEvent } from './schema.ts';
import { parseUserAgent } from './user-agent.ts';

const facts: RequestFacts = {
  ipHash: null,
  userAgent: null,
  parsedUserAgent: parseUserAgent(null),
  country: null,
  sentAt: null,
};

describe('trust of an enriched event', () => {
  it('comes from how the request authenticated, never from the body', () => {
    for (const source of ['sdk', 'server'] as const) {
      // A body claiming more (or less) than the key proves: the server's value wins.
      const forged = {
        event: 'purchase_completed',
        event_id: 'evt_forged_1',
        participant_id: 'p1',
        trust: source === 'sdk' ? 'integration' : 'sdk',
        source: source === 'sdk' ? 'server' : 'sdk',
      } as IncomingEvent;
      const out = enrichEvent(forged, facts, { clientId: 'cli_a', source, now: new Date() });
      assert.equal(out.trust, source);
      assert.equal(out.source, source);
    }
  });
});
