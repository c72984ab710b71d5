/**
 * Short summaries of what a journey's history holds (activity results, outcomes, failure messages) for
 * the trace. The history carries whatever the activities returned, personal data included, and the
 * trace is shown to every member with `journey.read`, so a summary lists only what cannot identify a
 * person or unlock anything: numbers, booleans, nulls, and strings under keys that name ids, states or
 * codes of the platform. Every other string is masked, every e-mail address is masked wherever it
 * appears (participant ids are sometimes e-mails), and keys that name secrets are never shown at all.
 */

const EMAIL = /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[^\s@"'<>(),;:]+/g;
/** Keys whose value is never shown, not even masked: credentials and contact data. */
const SECRET_KEY = /secret|token|password|passwd|api_?key|signature|authorization|cookie|otp/i;
/** Keys whose string value is platform vocabulary (ids, states, codes, currencies), safe to show. */
const SAFE_STRING_KEY =
  /(^|_)(id|ids|state|status|kind|type|category|currency|channel|template|segment|side|rule|tier|decision|outcome|code|valid|eligible|reason_code|step|activity|plan|pulse|locale|period|version|mode)$/i;

const MAX_ENTRIES = 8;
const MAX_STRING = 40;
const MAX_SUMMARY = 240;

/** A string with every e-mail address masked and cut to `max` characters. */
export function maskText(text: string, max = 200): string {
  const masked = text.replace(EMAIL, '<email>');
  return masked.length > max ? `${masked.slice(0, max - 1)}…` : masked;
}

function scalar(key: string, value: unknown): string | null {
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') {
    if (!SAFE_STRING_KEY.test(key)) return '…';
    return JSON.stringify(maskText(value, MAX_STRING));
  }
  if (Array.isArray(value)) return `[${value.length}]`;
  if (typeof value === 'object') return '{…}';
  return null;
}

/**
 * `key=value` pairs of an object's first entries (nested objects one level deep, by name only), or
 * the kind of a non-object value; null when there is nothing to say (undefined, empty).
 */
export function summarize(value: unknown): string | null {
  if (value === undefined) return null;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const s = scalar('value', value);
    return typeof value === 'string' ? 'text' : s;
  }
  const parts: string[] = [];
  const entries = Object.entries(value as Record<string, unknown>).filter(([k]) => !SECRET_KEY.test(k));
  for (const [key, v] of entries.slice(0, MAX_ENTRIES)) {
    const shown = scalar(key, v);
    if (shown !== null) parts.push(`${maskText(key, 40)}=${shown}`);
  }
  if (entries.length > MAX_ENTRIES) parts.push(`+${entries.length - MAX_ENTRIES} more`);
  if (parts.length === 0) return null;
  const text = parts.join(', ');
  return text.length > MAX_SUMMARY ? `${text.slice(0, MAX_SUMMARY - 1)}…` : text;
}
