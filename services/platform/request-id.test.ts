import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import {
  CORRELATION_ID_HEADER,
  REQUEST_ID_HEADER,
  type RequestIdVariables,
  requestIds,
} from './request-id.ts';

function app() {
  return new Hono<{ Variables: RequestIdVariables }>()
    .use('*', requestIds())
    .get('/', (c) => c.json({ request: c.get('requestId'), correlation: c.get('correlationId') }));
}

test('each request gets a fresh request id, which also starts its correlation chain', async () => {
  const a = app();
  const one = await a.request('/');
  const two = await a.request('/');
  const bodyOne = (await one.json()) as { request: string; correlation: string };
  const bodyTwo = (await two.json()) as { request: string; correlation: string };
  assert.match(bodyOne.request, /^req_[a-z2-7]{20}$/);
  assert.notEqual(bodyOne.request, bodyTwo.request);
  assert.equal(bodyOne.correlation, bodyOne.request);
  assert.equal(one.headers.get(REQUEST_ID_HEADER), bodyOne.request);
  assert.equal(one.headers.get(CORRELATION_ID_HEADER), bodyOne.request);
});

test('a caller-supplied correlation id is kept when safe and replaced when not', async () => {
  const a = app();
  const kept = await a.request('/', { headers: { [CORRELATION_ID_HEADER]: 'evt_123:abc' } });
  assert.equal(((await kept.json()) as { correlation: string }).correlation, 'evt_123:abc');
  for (const bad of ['a b', 'x'.repeat(129), 'line\\nbreak', '<script>']) {
    const res = await a.request('/', { headers: { [CORRELATION_ID_HEADER]: bad } });
    const body = (await res.json()) as { request: string; correlation: string };
    assert.equal(body.correlation, body.request, `replaced: ${bad}`);
  }
});
