import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../contract/errors.ts';
import { boolParam, dateParam, dayParam, enumParam, idParam, intParam, optionalIdParam } from './params.ts';

/** Asserts a 400 VALIDATION_FAILED whose detail names `path`. */
function refuses(fn: () => unknown, path: string) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AppError);
    assert.equal(err.status, 400);
    assert.equal(err.code, 'VALIDATION_FAILED');
    assert.equal(err.details[0]?.path, path);
    return true;
  });
}

test('idParam: printable, 1..200 characters', () => {
  assert.equal(idParam('cmp_abc', 'id'), 'cmp_abc');
  assert.equal(idParam("' OR 1=1 --", 'id'), "' OR 1=1 --", 'SQL is data: queries are parameterised');
  assert.equal(idParam('café 😀', 'id'), 'café 😀');
  refuses(() => idParam(undefined, 'id'), 'id');
  refuses(() => idParam('', 'id'), 'id');
  refuses(() => idParam('a\u0000b', 'id'), 'id');
  refuses(() => idParam('a\nb', 'id'), 'id');
  refuses(() => idParam('\ud800', 'id'), 'id');
  refuses(() => idParam('x'.repeat(201), 'code'), 'code');
  assert.equal(idParam('x'.repeat(200), 'id').length, 200);
  assert.equal(optionalIdParam(undefined, 'campaign_id'), undefined);
  assert.equal(optionalIdParam('', 'campaign_id'), undefined);
  refuses(() => optionalIdParam('x'.repeat(10_000), 'campaign_id'), 'campaign_id');
});

test('intParam: integers in range, a fallback when absent, required without one', () => {
  const o = { min: 1, max: 1000, fallback: 10 };
  assert.equal(intParam(undefined, 'limit', o), 10);
  assert.equal(intParam('25', 'limit', o), 25);
  for (const bad of ['0', '-1', '1001', '1.5', '1e3', 'abc', ' 5', '99999999999999999999', 'NaN', '0x10'])
    refuses(() => intParam(bad, 'limit', o), 'limit');
  refuses(() => intParam(undefined, 'version', { min: 1, max: 9 }), 'version');
});

test('dayParam and dateParam: real dates only', () => {
  assert.equal(dayParam('2026-11-20', 'from'), '2026-11-20');
  assert.equal(dayParam(undefined, 'from'), undefined);
  for (const bad of ['2026-02-30', '2026-13-01', '20261120', 'yesterday', "2026-01-01' OR 1=1", '0000-01-01'])
    refuses(() => dayParam(bad, 'from'), 'from');
  assert.equal(dateParam('2026-11-20T10:15:00Z', 'to')?.toISOString(), '2026-11-20T10:15:00.000Z');
  for (const bad of ['2026-11-20T25:00:00Z', 'not a date', '99999-01-01', '1969-12-31'])
    refuses(() => dateParam(bad, 'to'), 'to');
});

test('enumParam and boolParam', () => {
  assert.equal(enumParam('daily', 'period', ['daily', 'weekly'] as const), 'daily');
  assert.equal(enumParam(undefined, 'period', ['daily'] as const), undefined);
  refuses(() => enumParam('hourly', 'period', ['daily', 'weekly'] as const), 'period');
  assert.equal(boolParam('true', 'final', false), true);
  assert.equal(boolParam(undefined, 'final', false), false);
  refuses(() => boolParam('yes', 'final', false), 'final');
});
