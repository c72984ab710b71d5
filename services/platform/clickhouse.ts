import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { AppError } from '../../contract/errors.ts';
import { InternalError } from '../../contract/internal-error.ts';

/**
 * ClickHouse access. The local server (18.16) has no query parameters, so every value that reaches SQL
 * goes through `chSql`, which escapes literals and validates identifiers. Nothing else builds SQL text.
 */
export interface ClickHouse {
  client: ClickHouseClient;
  database: string;
  query<T>(sql: SqlText): Promise<T[]>;
  command(sql: SqlText): Promise<void>;
  insert<T extends Record<string, unknown>>(table: string, rows: T[]): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** SQL text built by `chSql`; a branded string so raw strings cannot be passed by accident. */
export type SqlText = string & { readonly __sql: true };

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names as the server's catalogue lists them: a materialized view's `.inner.<view>` / `.inner_id.<uuid>`. */
const CATALOGUE_NAME = /^[A-Za-z0-9_.-]{1,200}$/;

/** An identifier (table, column, database); throws on anything that is not a plain name. */
export class Ident {
  constructor(
    readonly name: string,
    pattern: RegExp = IDENT,
  ) {
    if (!pattern.test(name))
      throw new InternalError('UNSAFE_SQL', `invalid ClickHouse identifier: ${JSON.stringify(name)}`);
  }
}
export const ident = (name: string): Ident => new Ident(name);
/** A table name read from `system.tables` (dots and dashes allowed, no quotes): backtick-quoted in SQL. */
export const catalogueIdent = (name: string): Ident => new Ident(name, CATALOGUE_NAME);

/** Raw, already-safe SQL fragment (for composing chSql results). */
export class Raw {
  constructor(readonly text: string) {}
}

export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Ident) return `\`${value.name}\``;
  if (value instanceof Raw) return value.text;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InternalError('UNSAFE_SQL', `non-finite number in SQL: ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (value instanceof Date)
    return `toDateTime('${value.toISOString().slice(0, 19).replace('T', ' ')}', 'UTC')`;
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (typeof value === 'string') return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  throw new InternalError('UNSAFE_SQL', `unsupported SQL literal type: ${typeof value}`);
}

/** Tagged template: interpolations become escaped literals (or identifiers with `ident()`). */
export function chSql(strings: TemplateStringsArray, ...values: unknown[]): SqlText {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += literal(v) + (strings[i + 1] ?? '');
  });
  return out as SqlText;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/**
 * True when ClickHouse could not be reached or did not answer in time (as opposed to a server exception,
 * which carries a numeric code and means the query itself was refused).
 */
export function isClickHouseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; errors?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string') {
    if (/^\d+$/.test(e.code)) return false;
    if (CONNECTION_CODES.has(e.code)) return true;
  }
  if (Array.isArray(e.errors) && e.errors.some(isClickHouseUnavailable)) return true;
  return typeof e.message === 'string' && /timeout|socket hang up|ECONN|closed|aborted/i.test(e.message);
}

/** Seconds a caller should wait before retrying after an outage answer. */
export const CLICKHOUSE_RETRY_AFTER_SECONDS = 5;

/** Connection failures become a retryable 503 naming no host; anything else is rethrown as it came. */
function classify(err: unknown): never {
  if (isClickHouseUnavailable(err)) {
    const e = new AppError('UPSTREAM_UNAVAILABLE', 'analytics store unavailable; retry later', [], {
      'Retry-After': String(CLICKHOUSE_RETRY_AFTER_SECONDS),
    });
    Object.defineProperty(e, 'cause', { value: err });
    throw e;
  }
  throw err;
}

export interface ClickHouseOptions {
  /** Longest wait for one request (connect included). Default 10 s; inserts of large batches fit. */
  requestTimeoutMs?: number;
}

export function createClickHouse(url: string, database: string, opts: ClickHouseOptions = {}): ClickHouse {
  ident(database);
  const client = createClient({
    url,
    database,
    clickhouse_settings: { date_time_input_format: 'best_effort' },
    request_timeout: opts.requestTimeoutMs ?? 10_000,
    // Every failure reaches our code as a rejected promise, which logs it once with context (the drainer
    // during an outage, say); the client's own logger would print each one again with a stack.
    log: { level: ClickHouseLogLevel.OFF },
  });
  return {
    client,
    database,
    async query<T>(sql: SqlText) {
      try {
        const rs = await client.query({ query: sql, format: 'JSONEachRow' });
        return (await rs.json()) as T[];
      } catch (err) {
        return classify(err);
      }
    },
    async command(sql: SqlText) {
      await client.command({ query: sql }).catch(classify);
    },
    async insert(table, rows) {
      if (rows.length === 0) return;
      await client.insert({ table: ident(table).name, values: rows, format: 'JSONEachRow' }).catch(classify);
    },
    async ping() {
      const r = await client.ping();
      return r.success;
    },
    close: () => client.close(),
  };
}
