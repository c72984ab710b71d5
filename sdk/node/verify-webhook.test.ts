import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook, WebhookVerificationError } from './index.ts';

const secret = () => `whsec_${randomBytes(24).toString('base64')}`;
const body = JSON.stringify({ id: 'wf/hook', topic: 'reward.allocated', data: { amount: 10 } });

/** Headers signed by the standardwebhooks package (not by Pulse's own code). */
function signed(s: string, at = new Date(), id = 'msg_1', payload = body) {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(s).sign(id, at, payload),
  };
}

test('verifyWebhook accepts what the standardwebhooks package signs, from a plain object or Headers', () => {
  const s = secret();
  const h = signed(s);
  assert.deepEqual(verifyWebhook(s, h, body), {
    id: 'msg_1',
    timestamp: Number(h['webhook-timestamp']),
    payload: JSON.parse(body),
  });
  assert.equal(verifyWebhook(s, new Headers(h), Buffer.from(body)).id, 'msg_1');
  const upper = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toUpperCase(), v]));
  assert.equal(verifyWebhook(s, upper, body).id, 'msg_1', 'header names in any case');
});

test('a wrong secret, a changed body and an old timestamp fail', () => {
  const s = secret();
  assert.throws(() => verifyWebhook(secret(), signed(s), body), WebhookVerificationError);
  assert.throws(() => verifyWebhook(s, signed(s), `${body} `), /no webhook-signature matches/);
  const old = signed(s, new Date(Date.now() - 10 * 60_000));
  assert.throws(() => verifyWebhook(s, old, body), /tolerance/);
  assert.ok(verifyWebhook(s, old, body, { tolerance_seconds: 3600 }), 'a wider tolerance when asked');
  assert.throws(() => verifyWebhook(s, { 'webhook-id': 'x' }, body), /missing/);
});

test('during a rotation: two signatures space-separated, or two secrets on the receiving side', () => {
  const a = secret();
  const b = secret();
  const h = signed(a);
  const both = { ...h, 'webhook-signature': `${signed(b)['webhook-signature']} ${h['webhook-signature']}` };
  assert.ok(verifyWebhook(a, both, body));
  assert.ok(verifyWebhook([b, a], h, body));
});

test('over real HTTP with Node request headers', async () => {
  const s = secret();
  let got: { headers: IncomingHttpHeaders; raw: string } | undefined;
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      got = { headers: req.headers, raw };
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    await fetch(url, { method: 'POST', headers: signed(s), body });
    assert.ok(got);
    assert.deepEqual(verifyWebhook(s, got.headers, got.raw).payload, JSON.parse(body));
  } finally {
    server.close();
  }
});
