/**
 * Paid-traffic click ids: the parameter an ad network appends to the landing URL. A referral click that
 * carries one came through an ad, not a friend (someone bidding on the brand with their referral link,
 * or an affiliate laundering paid traffic), which fraud rules weigh. Kept on `referral_clicks.click_ids`.
 */
export const CLICK_ID_PARAMS = [
  'gclid', // Google Ads
  'gbraid', // Google Ads (iOS, app → web)
  'wbraid', // Google Ads (iOS, web → app)
  'dclid', // Google Display & Video 360
  'fbclid', // Meta
  'msclkid', // Microsoft Advertising
  'ttclid', // TikTok
  'li_fat_id', // LinkedIn
  'twclid', // X
  'ScCid', // Snapchat
  'epik', // Pinterest
  'rdt_cid', // Reddit
  'yclid', // Yandex
] as const;

const MAX_LEN = 200;

/** The click ids found in any of the sources (URL query params or plain objects), first one wins per id. */
export function clickIdsFrom(...sources: (URLSearchParams | Record<string, unknown> | null | undefined)[]) {
  const out: Record<string, string> = {};
  for (const src of sources) {
    if (!src) continue;
    for (const k of CLICK_ID_PARAMS) {
      if (out[k]) continue;
      const v = src instanceof URLSearchParams ? src.get(k) : src[k];
      if (typeof v === 'string' && v.length > 0) out[k] = v.slice(0, MAX_LEN);
    }
  }
  return out;
}

/** The query of a URL string, or null when it is not one. */
export function queryOf(url: unknown): URLSearchParams | null {
  if (typeof url !== 'string' || url.length > 4096) return null;
  try {
    return new URL(url).searchParams;
  } catch {
    return null;
  }
}
