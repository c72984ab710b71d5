import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskText, summarize } from './redact.ts';

/** What the trace shows of failure messages and activity results: no contact or network data. */
describe('trace redaction', () => {
  it('masks e-mail addresses anywhere in text', () => {
    assert.equal(maskText('no contact for Ann.Smith+x@example.co.uk today'), 'no contact for <email> today');
  });

  it('masks phone numbers written the ways people write them', () => {
    for (const phone of ['+44 20 7946 0958', '(415) 555-0123', '415-555-0123', '+14155550123', '4155550123'])
      assert.equal(maskText(`sms to ${phone} failed`), 'sms to <phone> failed', phone);
  });

  it('keeps dates, times, decimals, short numbers and codes readable', () => {
    for (const text of [
      'fired at 2026-11-30 06:00:00 UTC',
      'at 2026-11-30T06:00:00.000Z',
      'timed out after 30000 ms on attempt 3',
      'amount 1234.5678 EUR',
      'Code: 241. Memory limit',
      'DB::Exception: Cannot parse',
    ])
      assert.equal(maskText(text), text);
  });

  it('masks IPv4 and IPv6 addresses', () => {
    assert.equal(maskText('refused by 203.0.113.7 after TLS'), 'refused by <ip> after TLS');
    assert.equal(maskText('from 2001:db8:85a3::8a2e:370:7334 now'), 'from <ip> now');
    assert.equal(maskText('bound to fe80:0:0:0:202:b3ff:fe1e:8329'), 'bound to <ip>');
    assert.equal(maskText('peer ::1 closed'), 'peer <ip> closed');
  });

  it('masks host:port pairs, such as the SMTP relay a send could not reach', () => {
    assert.equal(
      maskText('connect ECONNREFUSED smtp.relay.acme-corp.example:587 (2 tries)'),
      'connect ECONNREFUSED <host> (2 tries)',
    );
    assert.equal(maskText('connect ETIMEDOUT 10.1.2.3:25'), 'connect ETIMEDOUT <host>');
    assert.equal(maskText('relay localhost:2525 down'), 'relay <host> down');
    assert.equal(maskText('relay [2001:db8::1]:25 down'), 'relay <host> down');
  });

  it('masks id-named values that are e-mails or phone numbers; other ids stay readable', () => {
    const s = summarize({
      participant_id: 'ann@example.com',
      referrer_id: '+44 7700 900123',
      member_id: '07700900',
      reward_id: 'rwd_8f3k2',
      campaign_id: 'signup-2026',
      status: 'sent',
    });
    assert.equal(
      s,
      'participant_id="<email>", referrer_id="<phone>", member_id="<phone>", reward_id="rwd_8f3k2", campaign_id="signup-2026", status="sent"',
    );
  });

  it('never shows secrets or free-text values', () => {
    assert.equal(summarize({ api_key: 'sk_live_x', note: 'call me at 415-555-0123', n: 3 }), 'note=…, n=3');
  });
});
