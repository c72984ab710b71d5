import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import { AppError } from '../../contract/errors.ts';
import { accessLog, UNMATCHED_ROUTE } from './access-log.ts';
import { loadConfig } from './config.ts';
import { withErrorHandling } from './http.ts';
import { captureLogs, createLogger } from './log.ts';
import { CORRELATION_ID_HEADER, requestIds } from './request-id.ts';

/** A destination that keeps every JSON line written to it. */
function lines() {
  const out: Record<string, unknown>[] = [];
  return { out, stream: { write: (s: string) => void out.push(JSON.parse(s)) } };
}

test('log lines are JSON with level, time, service and message', () => {
  const { out, stream } = lines();
  createLogger({ level: 'info', destination: stream }).info({ client_id: 'cli_1' }, 'hello');
  assert.equal(out.length, 1);
  assert.equal(out[0]?.level, 'info');
  assert.equal(out[0]?.msg, 'hello');
  assert.equal(out[0]?.service, 'pulse');
  assert.equal(out[0]?.client_id, 'cli_1');
  assert.match(String(out[0]?.time), /^\d{4}-\d\d-\d\dT/);
});

test('secrets and email addresses are censored at the top and nested levels', () => {
  const { out, stream } = lines();
  const log = createLogger({ level: 'info', destination: stream });
  log.info(
    {
      authorization: 'Bearer sk_live_1',
      password: 'hunter2',
      email: 'ada@example.com',
      req: { headers: { authorization: 'Bearer x', 'x-api-key': 'pk_1' } },
      participant: { email: 'bob@example.com', traits: { api_key: 'k' } },
      participant_id: 'p-1',
    },
    'with secrets',
  );
  const text = JSON.stringify(out[0]);
  for (const secret of ['sk_live_1', 'hunter2', 'ada@example.com', 'pk_1', 'bob@example.com', '"k"'])
    assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
  assert.equal(out[0]?.participant_id, 'p-1');
  assert.equal(out[0]?.password, '[redacted]');
});

test('the level filters: debug lines are dropped at info', () => {
  const { out, stream } = lines();
  const log = createLogger({ level: 'info', destination: stream });
  log.debug('hidden');
  log.warn('shown');
  assert.deepEqual(
    out.map((l) => l.msg),
    ['shown'],
  );
});

test('PULSE_LOG_LEVEL is validated with the rest of the configuration', () => {
  assert.equal(loadConfig({ PULSE_LOG_LEVEL: 'debug' }).logLevel, 'debug');
  assert.equal(loadConfig({}).logLevel, 'info');
  assert.throws(
    () => loadConfig({ PULSE_LOG_LEVEL: 'loud' }),
    /PULSE_LOG_LEVEL must be trace or debug or info or warn or error or fatal or silent, got "loud"/,
  );
});

function app() {
  const { out, stream } = lines();
  const log = createLogger({ level: 'info', destination: stream });
  const records: { route: string; status: number }[] = [];
  const a = withErrorHandling(new Hono<{ Variables: { principal: { clientId: string } } }>());
  a.use('*', requestIds());
  a.use('*', accessLog({ log, onFinished: (r) => records.push(r) }));
  a.get('/v1/things/:id', (c) => {
    c.set('principal', { clientId: 'cli_7' });
    return c.json({ id: c.req.param('id') });
  });
  a.get('/v1/broken', () => {
    throw new AppError('VALIDATION_FAILED', 'bad');
  });
  return { a, out, records };
}

test('the access log names the route pattern, status, duration, ids and client, never the query', async () => {
  const { a, out, records } = app();
  const res = await a.request('/v1/things/secret-id-42?key=pk_live_abc&token=t0k', {
    headers: { [CORRELATION_ID_HEADER]: 'corr-123' },
  });
  assert.equal(res.status, 200);
  const line = out.find((l) => l.msg === 'request');
  assert.ok(line);
  assert.equal(line.route, '/v1/things/:id');
  assert.equal(line.method, 'GET');
  assert.equal(line.status, 200);
  assert.equal(line.correlation_id, 'corr-123');
  assert.equal(line.request_id, res.headers.get('X-Request-Id'));
  assert.equal(line.client_id, 'cli_7');
  assert.equal(typeof line.duration_ms, 'number');
  const text = JSON.stringify(out);
  for (const leaked of ['secret-id-42', 'pk_live_abc', 't0k']) assert.ok(!text.includes(leaked), leaked);
  assert.deepEqual(records[0] && { route: records[0].route, status: records[0].status }, {
    route: '/v1/things/:id',
    status: 200,
  });
});

test('errors and unknown paths are logged with their status and a bounded route label', async () => {
  const { a, out } = app();
  assert.equal((await a.request('/v1/broken')).status, 400);
  assert.equal((await a.request('/random/probe/123')).status, 404);
  const routes = out.filter((l) => l.msg === 'request').map((l) => [l.route, l.status]);
  assert.deepEqual(routes, [
    ['/v1/broken', 400],
    [UNMATCHED_ROUTE, 404],
  ]);
});

test('an unhandled error is logged with the request id, and the response carries no detail', async () => {
  const { out, stream } = lines();
  const restore = captureLogs(stream);
  try {
    const a = withErrorHandling(new Hono());
    a.use('*', requestIds());
    a.get('/boom', () => {
      throw new TypeError('db said: relation "secret_table" does not exist');
    });
    const res = await a.request('/boom');
    assert.equal(res.status, 500);
    assert.ok(!(await res.text()).includes('secret_table'));
    const line = out.find((l) => l.msg === 'unhandled error');
    assert.ok(line, JSON.stringify(out));
    assert.equal(line.level, 'error');
    assert.equal(line.request_id, res.headers.get('X-Request-Id'));
    assert.match(JSON.stringify(line.err), /secret_table/);
  } finally {
    restore();
  }
});
