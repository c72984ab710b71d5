import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../contract/errors.ts';
import { decodeCursor, encodeCursor, isMicrosecondInstant, pageOf, pageRequest } from './pagination.ts';

const at = new Date('2026-03-04T05:06:07.089Z');

test('a cursor round-trips and is opaque base64url', () => {
  const raw = encodeCursor({ at, id: 'cmp_1' });
  assert.match(raw, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeCursor(raw), { at, id: 'cmp_1' });
});

test('a bad cursor or limit is a 400 naming the parameter', () => {
  const refuses = (q: Record<string, string>, path: string) =>
    assert.throws(
      () => pageRequest((k) => q[k]),
      (e: unknown) => e instanceof AppError && e.code === 'VALIDATION_FAILED' && e.details[0]?.path === path,
    );
  for (const bad of ['x', 'not base64!', Buffer.from('[1,2]').toString('base64url'), 'a'.repeat(500)])
    refuses({ starting_after: bad }, 'starting_after');
  refuses(
    { starting_after: Buffer.from('["2026-13-01T00:00:00.000Z","a"]').toString('base64url') },
    'starting_after',
  );
  for (const bad of ['0', '101', 'ten']) refuses({ limit: bad }, 'limit');
  assert.deepEqual(
    pageRequest(() => undefined),
    { limit: 20, after: null },
  );
});

test('pageOf keeps limit rows and points the cursor at the last one kept', () => {
  const rows = [1, 2, 3].map((n) => ({ id: `r${n}`, created_at: new Date(at.getTime() + n) }));
  const page = pageOf(rows, { limit: 2, after: null }, (r) => ({ at: r.created_at, id: r.id }));
  assert.deepEqual(
    page.data.map((r) => r.id),
    ['r1', 'r2'],
  );
  assert.equal(page.has_more, true);
  assert.deepEqual(decodeCursor(page.next_cursor ?? ''), { at: rows[1]?.created_at, id: 'r2' });
  const last = pageOf(rows.slice(2), { limit: 2, after: null }, (r) => ({ at: r.created_at, id: r.id }));
  assert.deepEqual(last, { data: [rows[2]], has_more: false, next_cursor: null });
});

test('a microsecond cursor time must be a real instant, not only look like one', () => {
  assert.equal(isMicrosecondInstant('2026-03-04T05:06:07.089123Z'), true);
  assert.equal(isMicrosecondInstant('2024-02-29T23:59:59.999999Z'), true, 'a leap day');
  for (const bad of [
    '2024-13-40T25:61:61.000000Z',
    '2023-02-29T00:00:00.000000Z',
    '2026-04-31T00:00:00.000000Z',
    '2026-03-04T24:00:00.000000Z',
    '2026-03-04T05:06:07.089Z',
    '2026-03-04 05:06:07.089123Z',
  ])
    assert.equal(isMicrosecondInstant(bad), false, bad);
});
