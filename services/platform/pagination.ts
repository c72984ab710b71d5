import { type RawBuilder, type SqlBool, sql } from 'kysely';
import { AppError } from '../../contract/errors.ts';
import { intParam } from './params.ts';

/**
 * Cursor pagination of every list: `limit` (1..100, default 20) and `starting_after` (an opaque cursor),
 * answered with `{ data, has_more, next_cursor }`. Keyset, not offset: a page is the rows after the
 * cursor's (timestamp, id) in the listing's order, so inserts between two reads never shift or repeat a
 * row, and a deep page costs what the first does.
 *
 * Timestamps are compared at millisecond precision (`date_trunc`): the cursor carries a JS Date, and a
 * Postgres timestamp's microseconds would otherwise put the last row of a page after its own cursor.
 */

export const PAGE_LIMIT = { min: 1, max: 100, fallback: 20 } as const;

/** The position a cursor encodes: the last row's timestamp and id. */
export interface Cursor {
  at: Date;
  id: string;
}

export interface PageRequest {
  limit: number;
  after: Cursor | null;
}

/** One page of a list (the shape every list answers). */
export interface Page<T> {
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

/** `limit` and `starting_after` of a request, or a 400 naming the bad one. */
export function pageRequest(query: (name: string) => string | undefined): PageRequest {
  const limit = intParam(query('limit'), 'limit', PAGE_LIMIT);
  const raw = query('starting_after');
  return { limit, after: raw === undefined || raw === '' ? null : decodeCursor(raw) };
}

/** base64url of `[iso timestamp, id]`: opaque to callers, stable for us. */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.at.toISOString(), c.id])).toString('base64url');
}

const badCursor = () =>
  new AppError('VALIDATION_FAILED', 'starting_after is invalid', [
    {
      path: 'starting_after',
      message: 'not a cursor of this API',
      expected: 'the next_cursor of a previous page',
    },
  ]);

export function decodeCursor(raw: string): Cursor {
  if (raw.length > 400 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw badCursor();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw badCursor();
  const [at, id] = parsed as unknown[];
  if (typeof at !== 'string' || typeof id !== 'string' || id.length === 0 || id.length > 200)
    throw badCursor();
  const date = new Date(at);
  if (Number.isNaN(date.getTime()) || date.toISOString() !== at) throw badCursor();
  return { at: date, id };
}

/**
 * Whether `text` is a real UTC instant written `YYYY-MM-DDTHH:MM:SS.ffffffZ` (a microsecond cursor's
 * time): the shape alone lets `2024-13-40T…` through to `::timestamptz`, which Postgres refuses with a
 * 500. The date must parse and print back to the same digits (no month 13, no 31 February).
 */
export function isMicrosecondInstant(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(text)) return false;
  const d = new Date(`${text.slice(0, 23)}Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString() === `${text.slice(0, 23)}Z`;
}

/** The keyset order column of a listing: `column` at millisecond precision. */
export function keysetTime(column: string): RawBuilder<Date> {
  return sql<Date>`date_trunc('milliseconds', ${sql.ref(column)})`;
}

/** `(time, id)` strictly after the cursor in the listing's direction (`desc`: before it); no cursor: true. */
export function afterCursor(column: string, c: Cursor | null, dir: 'asc' | 'desc'): RawBuilder<SqlBool> {
  if (c === null) return sql<SqlBool>`true`;
  const op = sql.raw(dir === 'asc' ? '>' : '<');
  return sql<SqlBool>`(${keysetTime(column)}, ${sql.ref('id')}) ${op} (${c.at.toISOString()}::timestamptz, ${c.id})`;
}

/**
 * The page of `rows`, which the repository fetched with `limit + 1` (the extra row only says whether
 * more follow), each row mapped by `view`.
 */
export function pageOf<R, V = R>(
  rows: readonly R[],
  req: PageRequest,
  cursorOf: (row: R) => Cursor,
  view: (row: R) => V = (r) => r as unknown as V,
): Page<V> {
  const has_more = rows.length > req.limit;
  const kept = has_more ? rows.slice(0, req.limit) : rows;
  const last = kept.at(-1);
  return {
    data: kept.map(view),
    has_more,
    next_cursor: has_more && last ? encodeCursor(cursorOf(last)) : null,
  };
}

/** The cursor of a row keyed by `created_at`. */
export const byCreatedAt = (r: { created_at: Date; id: string }): Cursor => ({ at: r.created_at, id: r.id });
