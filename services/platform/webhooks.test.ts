import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { isStandardSecret, newWebhookSecret, verifyWebhook, webhookHeaders } from './webhooks.ts';

const now = () => Math.floor(Date.now() / 1000);
const body = JSON.stringify({ id: 'msg', topic: 'reward.allocated', data: { amount: 10, note: 'é ✓' } });

describe('Standard Webhooks signatures', () => {
  it('new secrets are whsec_ + base64 of 24 bytes, and differ', () => {
    const a = newWebhookSecret();
    assert.match(a, /^whsec_[A-Za-z0-9+/]{32}$/);
    assert.ok(isStandardSecret(a));
    assert.notEqual(a, newWebhookSecret());
    assert.equal(isStandardSecret('whsec_short'), false);
    assert.equal(isStandardSecret('whsec_test_secret_123'), false);
    assert.equal(isStandardSecret(`sk_${a.slice(6)}`), false);
  });

  it("what we sign verifies with the standardwebhooks package's Webhook.verify", () => {
    const secret = newWebhookSecret();
    const headers = webhookHeaders({ id: 'msg_1', timestamp: now(), body, secrets: [secret] });
    assert.deepEqual(Object.keys(headers).sort(), ['webhook-id', 'webhook-signature', 'webhook-timestamp']);
    assert.match(headers['webhook-signature'] ?? '', /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(new Webhook(secret).verify(body, headers), JSON.parse(body));
  });

  it('a wrong secret, a changed body or id, and an old or future timestamp fail', () => {
    const secret = newWebhookSecret();
    const headers = webhookHeaders({ id: 'msg_2', timestamp: now(), body, secrets: [secret] });
    assert.throws(() => new Webhook(newWebhookSecret()).verify(body, headers), /No matching signature/);
    assert.throws(() => new Webhook(secret).verify(`${body} `, headers), /No matching signature/);
    assert.throws(
      () => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'msg_3' }),
      /No matching signature/,
    );
    const old = webhookHeaders({ id: 'msg_2', timestamp: now() - 600, body, secrets: [secret] });
    assert.throws(() => new Webhook(secret).verify(body, old), /too old/);
    const future = webhookHeaders({ id: 'msg_2', timestamp: now() + 600, body, secrets: [secret] });
    assert.throws(() => new Webhook(secret).verify(body, future), /too new/);
  });

  it('during a rotation both signatures are sent, space-separated; either secret verifies', () => {
    const current = newWebhookSecret();
    const previous = newWebhookSecret();
    const headers = webhookHeaders({ id: 'msg_4', timestamp: now(), body, secrets: [current, previous] });
    assert.equal(headers['webhook-signature']?.split(' ').length, 2);
    assert.ok(new Webhook(current).verify(body, headers));
    assert.ok(new Webhook(previous).verify(body, headers));
    assert.throws(() => new Webhook(newWebhookSecret()).verify(body, headers), /No matching signature/);
  });

  it('a secret not in the standard form signs with its raw bytes (the package verifies it with format raw)', () => {
    const legacy = 'whsec_test_secret_123';
    const headers = webhookHeaders({ id: 'msg_5', timestamp: now(), body, secrets: [legacy] });
    assert.ok(new Webhook(legacy, { format: 'raw' }).verify(body, headers));
  });

  it("our verifier accepts the package's signatures and refuses what it must", () => {
    const secret = newWebhookSecret();
    const t = now();
    const sig = new Webhook(secret).sign('msg_6', new Date(t * 1000), body);
    const headers = new Headers({
      'webhook-id': 'msg_6',
      'webhook-timestamp': String(t),
      'webhook-signature': sig,
    });
    assert.deepEqual(verifyWebhook([secret], headers, body, t), { ok: true, id: 'msg_6', timestamp: t });
    // Another secret first (a rotation on our side): the second still matches.
    assert.equal(verifyWebhook([newWebhookSecret(), secret], headers, body, t).ok, true);
    const no = (h: Headers, b = body, at = t) => {
      const r = verifyWebhook([secret], h, b, at);
      assert.equal(r.ok, false);
      return r.ok ? '' : r.reason;
    };
    assert.match(no(headers, `${body}x`), /does not match/);
    assert.match(no(headers, body, t + 301), /tolerance/);
    assert.match(no(headers, body, t - 301), /tolerance/);
    const h2 = new Headers(headers);
    h2.delete('webhook-id');
    assert.match(no(h2), /missing/);
    const h3 = new Headers(headers);
    h3.set('webhook-signature', `v2,${sig.slice(3)}`);
    assert.match(no(h3), /no v1/);
    const h4 = new Headers(headers);
    h4.set('webhook-timestamp', '12e5');
    assert.match(no(h4), /malformed/);
  });
});
