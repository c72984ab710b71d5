/**
 * The building blocks of the configuration table (config.ts): one `Setting` per environment variable,
 * saying how it is parsed, what it defaults to, what production demands of it and whether it is secret.
 * loadConfig parses from the table and `npm run codegen` writes docs/configuration.md and .env.example
 * from it, so the reference cannot drift from the code.
 */

export type Env = Record<string, string | undefined>;

export type ConfigGroup =
  | 'Server'
  | 'Storage'
  | 'Temporal'
  | 'Bus'
  | 'Secrets'
  | 'Sign-in'
  | 'Network'
  | 'Email'
  | 'Request limits'
  | 'SDK'
  | 'Portal'
  | 'Observability'
  | 'Billing';

type Parsed<T> = { value: T } | { problem: string };

/** One environment variable: how it is read and documented. */
export interface Setting<T> {
  readonly kind: 'setting';
  /** The variable's name. */
  readonly name: string;
  /** Older names still read when `name` is unset (first set wins). */
  readonly aliases?: readonly string[];
  readonly group: ConfigGroup;
  /** One or two sentences for the reference. */
  readonly description: string;
  /** The default as documented (`undefined`: unset means none). */
  readonly defaultText?: string;
  /** Shown commented in .env.example (else the default, else empty). */
  readonly example?: string;
  /** What production demands, in words (docs); enforced by `productionProblems`. */
  readonly production?: string;
  /** Never printed or logged. */
  readonly secret?: boolean;
  /** The value when unset or empty; may read other variables (e.g. PULSE_PUBLIC_URL from PORT). */
  fallback(env: Env): T;
  /** Parses a set, non-empty value. */
  parse(raw: string): Parsed<T>;
  /** With NODE_ENV=production: why the value (raw: undefined when unset) is not acceptable. */
  productionProblems?(raw: string | undefined, value: T): string[];
}

/** A nested part of the config (e.g. `rateLimits`): an object of settings or further sections. */
export interface Section {
  readonly [key: string]: Setting<unknown> | Section;
}

/** The value type of a table: each setting replaced by what it parses to. */
export type ValuesOf<S> = {
  readonly [K in keyof S]: S[K] extends Setting<infer V> ? V : ValuesOf<S[K]>;
};

const isSetting = (x: Setting<unknown> | Section): x is Setting<unknown> =>
  (x as { kind?: unknown }).kind === 'setting';

/** Every setting of a table in declaration order (the order of the reference and of problems). */
export function settingsOf(table: Section): Setting<unknown>[] {
  return Object.values(table).flatMap((x) => (isSetting(x) ? [x] : settingsOf(x)));
}

/** The label a problem names a setting by, e.g. `PULSE_INTERNAL_SIGNING_KEY (or PULSE_INTERNAL_TOKEN)`. */
export function labelOf(s: Pick<Setting<unknown>, 'name' | 'aliases'>): string {
  return s.aliases?.length ? `${s.name} (or ${s.aliases.join(', ')})` : s.name;
}

/** The raw value of a setting: its name, else the first alias that is set; empty counts as unset. */
export function rawOf(s: Setting<unknown>, env: Env): string | undefined {
  for (const key of [s.name, ...(s.aliases ?? [])]) {
    const v = env[key];
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

/**
 * Parses every setting of the table; problems are collected, not thrown, so the caller lists them all.
 * A setting that fails to parse takes its fallback so the rest still parse.
 */
export function parseTable<S extends Section>(
  table: S,
  env: Env,
  production: boolean,
): { values: ValuesOf<S>; problems: string[]; productionProblems: string[] } {
  const problems: string[] = [];
  const productionProblems: string[] = [];
  const walk = (section: Section): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(section).map(([key, x]) => {
        if (!isSetting(x)) return [key, Object.freeze(walk(x))];
        const raw = rawOf(x, env);
        const parsed = raw === undefined ? { value: x.fallback(env) } : x.parse(raw);
        if ('problem' in parsed) {
          // Already refused: its production rules would only repeat the problem about the fallback.
          problems.push(parsed.problem);
          return [key, x.fallback(env)];
        }
        const value = parsed.value;
        if (production && x.productionProblems) productionProblems.push(...x.productionProblems(raw, value));
        return [key, value];
      }),
    );
  return { values: walk(table) as ValuesOf<S>, problems, productionProblems };
}

// ---- builders: one per kind of value -------------------------------------------------------------

type Common = Pick<
  Setting<unknown>,
  'name' | 'aliases' | 'group' | 'description' | 'example' | 'production' | 'secret'
>;

/** Free text with a default. */
export function text(
  c: Common & { default: string; check?: (raw: string) => string | null },
): Setting<string>;
/** Free text, unset by default. */
export function text(
  c: Common & { default?: undefined; check?: (raw: string) => string | null },
): Setting<string | undefined>;
export function text(
  c: Common & { default?: string; check?: (raw: string) => string | null },
): Setting<string | undefined> {
  return {
    kind: 'setting',
    ...c,
    ...(c.default !== undefined ? { defaultText: c.default } : {}),
    fallback: () => c.default,
    parse: (raw) => {
      const problem = c.check?.(raw) ?? null;
      return problem ? { problem: `${c.name} ${problem}` } : { value: raw };
    },
  };
}

/** A TCP port (1..65535). */
export function port(c: Common & { default: number }): Setting<number> {
  return {
    kind: 'setting',
    ...c,
    defaultText: String(c.default),
    fallback: () => c.default,
    parse: (raw) => {
      const n = Number(raw);
      return Number.isInteger(n) && n > 0 && n <= 65535
        ? { value: n }
        : { problem: `${c.name} must be a port number, got "${raw}"` };
    },
  };
}

/** One of a fixed set of words. */
export function oneOf<const V extends string>(c: Common & { values: readonly V[]; default: V }): Setting<V> {
  return {
    kind: 'setting',
    ...c,
    description: `${c.description} One of: ${c.values.map((v) => `\`${v}\``).join(', ')}.`,
    defaultText: c.default,
    fallback: () => c.default,
    parse: (raw) =>
      (c.values as readonly string[]).includes(raw)
        ? { value: raw as V }
        : { problem: `${c.name} must be ${c.values.join(' or ')}, got "${raw}"` },
  };
}

/** `true`/`false` (also 1/0, yes/no). */
export function flag(c: Common & { default: boolean }): Setting<boolean> {
  return {
    kind: 'setting',
    ...c,
    defaultText: String(c.default),
    fallback: () => c.default,
    parse: (raw) => {
      const v = raw.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(v)) return { value: true };
      if (['false', '0', 'no'].includes(v)) return { value: false };
      return { problem: `${c.name} must be true or false, got "${raw}"` };
    },
  };
}

/** A comma- or space-separated list of words. */
export function list(c: Common): Setting<readonly string[]> {
  return {
    kind: 'setting',
    ...c,
    fallback: () => Object.freeze([]),
    parse: (raw) => ({ value: Object.freeze(raw.split(/[\s,]+/).filter(Boolean)) }),
  };
}

/**
 * A secret: a development default locally; production requires its own value of at least `minBytes`
 * bytes that is not the development default.
 */
export function secret(c: Common & { devDefault: string; minBytes: number }): Setting<string> {
  const label = labelOf(c);
  return {
    kind: 'setting',
    ...c,
    secret: true,
    defaultText: '(a development value)',
    production: `required: your own value, at least ${c.minBytes} bytes`,
    fallback: () => c.devDefault,
    parse: (raw) => ({ value: raw }),
    productionProblems: (raw) => {
      if (!raw) return [`${label} is required in production`];
      if (raw === c.devDefault) return [`${label} is the development default`];
      const n = Buffer.byteLength(raw);
      return n < c.minBytes ? [`${label} must be at least ${c.minBytes} bytes, got ${n}`] : [];
    },
  };
}

/** A structured value with its own parser (CIDR lists, key rings, token buckets). */
export function custom<T>(
  c: Common & {
    defaultText?: string;
    fallback: (env: Env) => T;
    parse: (raw: string) => Parsed<T>;
    productionProblems?: (raw: string | undefined, value: T) => string[];
  },
): Setting<T> {
  return { kind: 'setting', ...c };
}
