/**
 * Duration parsing shared by the DSL compiler and the workflow interpreter. Sandbox-safe: no imports, no
 * clock, no randomness, so the Temporal workflow bundle can include it.
 *
 * Accepted forms:
 *   - compact units, optionally compound: "500ms", "10s", "90m", "12h", "30d", "2w", "1h30m", "1.5h"
 *   - ISO-8601 durations without calendar units: "P30D", "PT12H", "P1W", "P1DT2H30M", "PT0.5S"
 * Months and years are rejected on purpose: their length depends on the calendar, so a plan could not say
 * in milliseconds what it means. Write "30d" or "365d" instead.
 */

const MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const COMPACT = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;
const COMPACT_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;
const ISO =
  /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Parses a duration text into milliseconds; null when the text is not a duration we accept. */
export function parseDuration(text: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  if (COMPACT.test(t)) {
    let total = 0;
    for (const m of t.matchAll(COMPACT_PART)) total += Number(m[1]) * (MS[m[2] ?? ''] ?? 0);
    return Math.round(total);
  }
  const iso = ISO.exec(t);
  if (iso && t !== 'P' && !t.endsWith('T')) {
    const [, w, d, h, m, s] = iso;
    const total = num(w) * MS.w! + num(d) * MS.d! + num(h) * MS.h! + num(m) * MS.m! + num(s) * MS.s!;
    return Math.round(total);
  }
  return null;
}

/** Same as parseDuration but also accepts a leading "-" (date arithmetic: "-30d" = 30 days earlier). */
export function parseSignedDuration(text: string): number | null {
  const t = text.trim();
  if (t.startsWith('-')) {
    const ms = parseDuration(t.slice(1));
    return ms === null ? null : -ms;
  }
  return parseDuration(t);
}

/** A duration given as milliseconds (finite number) or as text; null when neither. */
export function toDurationMs(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string') return parseSignedDuration(value);
  return null;
}

/** Human-readable form of milliseconds ("30d", "1h30m"), used by diagrams and messages. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const parts: string[] = [];
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const size = MS[unit]!;
    const n = Math.floor(rest / size);
    if (n > 0) {
      parts.push(`${n}${unit}`);
      rest -= n * size;
    }
  }
  return sign + parts.join('');
}

function num(v: string | undefined): number {
  return v === undefined ? 0 : Number(v);
}
