import { load, save } from './storage.ts';

/** One arrival on the site with a marketing or referral signal. */
export interface Touch {
  at: string;
  channel: string;
  landing_page: string;
  referrer?: string;
  referral_code?: string;
  utm?: Record<string, string>;
  /** The channel the referral link was shared on (`ch=` beside the code). */
  referral_channel?: string;
  gclid?: string;
  fbclid?: string;
  msclkid?: string;
  ttclid?: string;
  li_fat_id?: string;
  twclid?: string;
  gbraid?: string;
  wbraid?: string;
}

const UTM = ['source', 'medium', 'campaign', 'term', 'content'];
/** Paid-traffic click ids an ad network appends to the landing URL. */
const CLICK_IDS = [
  'gclid',
  'fbclid',
  'msclkid',
  'ttclid',
  'li_fat_id',
  'twclid',
  'gbraid',
  'wbraid',
] as const;
const hasClickId = (t: Touch) => CLICK_IDS.some((k) => t[k]);
const cut = (s: string, n: number) => s.slice(0, n);

function channelOf(t: Touch): string {
  if (t.referral_code) return 'referral';
  if (hasClickId(t) || /cpc|ppc|paid/.test(t.utm?.medium ?? '')) return 'paid';
  if (t.utm?.medium) return t.utm.medium;
  if (t.referrer) return /google|bing|duckduckgo|yahoo|baidu/.test(t.referrer) ? 'organic' : 'referring_site';
  return 'direct';
}

/**
 * Reads the landing URL for a referral code (`?ref=` or the configured parameter), UTM parameters and
 * ad click ids. A visit carrying any of them is a touch: the first one is kept for good (first touch),
 * the latest replaces the last touch. Touches older than `windowDays` no longer attribute.
 */
export function captureTouch(loc: Location, referrer: string, refParam: string): Touch | null {
  const q = new URLSearchParams(loc.search);
  const t: Touch = { at: new Date().toISOString(), channel: '', landing_page: cut(loc.href, 2048) };
  const code = q.get(refParam);
  if (code) t.referral_code = cut(code, 200);
  const ch = code ? q.get('ch') : null;
  if (ch) t.referral_channel = cut(ch, 40);
  for (const k of UTM) {
    const v = q.get(`utm_${k}`);
    if (v) t.utm = { ...t.utm, [k]: cut(v, 200) };
  }
  for (const k of CLICK_IDS) {
    const v = q.get(k);
    if (v) t[k] = cut(v, 200);
  }
  if (!code && !t.utm && !hasClickId(t)) return null;
  if (referrer && !referrer.startsWith(loc.origin)) t.referrer = cut(referrer, 2048);
  t.channel = channelOf(t);
  return t;
}

export interface Attribution {
  first: Touch | null;
  last: Touch | null;
}

export function recordTouch(t: Touch | null, windowDays: number): Attribution {
  const fresh = (x: Touch | null) => (x && Date.now() - Date.parse(x.at) < windowDays * 864e5 ? x : null);
  let first = fresh(load<Touch>('ft'));
  let last = fresh(load<Touch>('lt'));
  if (t) {
    if (!first) {
      first = t;
      save('ft', t);
    }
    last = t;
    save('lt', t);
  }
  return { first, last };
}

/** The `context.marketing` and `context.referral` parts of an event, in the schema's shape. */
export function attributionContext(a: Attribution): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const touch = (t: Touch) => ({
    at: t.at,
    channel: t.channel,
    landing_page: t.landing_page,
    ...(t.referrer ? { referrer: t.referrer } : {}),
    ...(t.utm ? { utm: t.utm } : {}),
    ...(t.referral_code ? { referral_code: t.referral_code } : {}),
  });
  const last = a.last;
  if (last || a.first) {
    const m: Record<string, unknown> = {};
    if (last?.utm) m.utm = last.utm;
    for (const k of CLICK_IDS) if (last?.[k]) m[k] = last[k];
    if (a.first) m.first_touch = touch(a.first);
    out.marketing = m;
  }
  const code = last?.referral_code ?? a.first?.referral_code;
  if (code) {
    out.referral = {
      code,
      ...(a.first?.referral_code ? { first_touch: touch(a.first) } : {}),
      ...(last?.referral_code ? { last_touch: touch(last) } : {}),
    };
  }
  return out;
}
