/**
 * Short summaries of what a journey's history holds (activity results, outcomes, failure messages) for
 * the trace. The history carries whatever the activities returned, personal data included, and the
 * trace is shown to every member with `journey.read`, so a summary lists only what cannot identify a
 * person or unlock anything: numbers, booleans, nulls, and strings under keys that name ids, states or
 * codes of the platform. Every other string is masked, and keys that name secrets are never shown at
 * all. Wherever text is shown (failure messages included) e-mail addresses, phone numbers, IP addresses
 * and host:port pairs are masked: participant ids are sometimes e-mails or phone numbers, and a failed
 * send names the relay it could not reach.
 */

const EMAIL = /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[^\s@"'<>(),;:]+/g;
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
/** A host with a port: `smtp.relay.example.com:587`, `10.0.0.5:25`, `localhost:2525`, `[::1]:25`. */
const HOST_PORT = new RegExp(
  `(?<![\\w.-])(?:${LABEL}(?:\\.${LABEL})+|localhost|\\[[0-9a-f:.]+\\]):\\d{1,5}(?!\\w)`,
  'gi',
);
/** IPv6 candidates (hex groups and colons); `ipv6Like` keeps the ones that cannot be a time of day. */
const IPV6 = /(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])/gi;
const IPV4 = /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])/g;
/** Phone candidates: digits with spaces, dots, dashes or brackets, maybe `+`; `phoneLike` decides. */
const PHONE = /(?<![\w+.])\+?\d[\d\s().-]{5,}\d(?![\w.])|(?<![\w+.])\+?\(\d[\d\s().-]{5,}\d(?![\w.])/g;
const DATE_OR_TIME = /^\d{4}-\d{2}-\d{2}|^\d{1,2}:\d{2}|^\d+\.\d+$/;

const ipv6Like = (s: string): boolean =>
  /[0-9a-f]/i.test(s) && (s.includes('::') || (s.match(/:/g)?.length ?? 0) >= 5);

/**
 * Whether `s` reads as a phone number: 7 to 15 digits (E.164's most) written with `+` or separators,
 * or 10 to 15 bare digits; `strict` (values of id-named keys) also takes 7 bare digits. Dates, times and
 * decimals are not phone numbers.
 */
function phoneLike(s: string, strict = false): boolean {
  const digits = s.replace(/\D/g, '').length;
  if (digits < 7 || digits > 15 || DATE_OR_TIME.test(s)) return false;
  if (s.startsWith('+') || /[\s().-]/.test(s)) return true;
  return strict || digits >= 10;
}
/** Keys whose value is never shown, not even masked: credentials and contact data. */
const SECRET_KEY = /secret|token|password|passwd|api_?key|signature|authorization|cookie|otp/i;
/** Keys whose string value is platform vocabulary (ids, states, codes, currencies), safe to show. */
const SAFE_STRING_KEY =
  /(^|_)(id|ids|state|status|kind|type|category|currency|channel|template|segment|side|rule|tier|decision|outcome|code|valid|eligible|reason_code|step|activity|plan|pulse|locale|period|version|mode)$/i;

const MAX_ENTRIES = 8;
const MAX_STRING = 40;
const MAX_SUMMARY = 240;

/** A string with contact and network data masked and cut to `max` characters. */
export function maskText(text: string, max = 200): string {
  const masked = text
    .replace(EMAIL, '<email>')
    .replace(HOST_PORT, '<host>')
    .replace(IPV6, (m) => (ipv6Like(m) ? '<ip>' : m))
    .replace(IPV4, '<ip>')
    .replace(PHONE, (m) => (phoneLike(m) ? '<phone>' : m));
  return masked.length > max ? `${masked.slice(0, max - 1)}…` : masked;
}

function scalar(key: string, value: unknown): string | null {
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') {
    if (!SAFE_STRING_KEY.test(key)) return '…';
    // An id that is a phone number in plain digits (a participant keyed by phone) shows as one.
    if (/(^|_)ids?$/i.test(key) && phoneLike(value.trim(), true)) return JSON.stringify('<phone>');
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
