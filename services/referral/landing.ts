/**
 * Where a share link sends a visitor. The target is the campaign's landing URL (its `landing` block,
 * copied here on deploy) and nothing else: no query parameter or header of the visit can change it,
 * so `/r/...` cannot be turned into an open redirect.
 */
import type { ErrorDetail } from '../../contract/errors.ts';
import type { Db } from '../platform/db.ts';
import * as repo from './repo.ts';

export const MAX_LANDING_URL = 2048;
export const DEFAULT_ATTRIBUTION_DAYS = 30;
/** The first-party cookie a share link sets: the referral code, for the attribution window. */
export const REF_COOKIE = 'pulse_ref';

/** Why `raw` cannot be a landing URL (null when it can): absolute http(s), https in production, no credentials. */
export function landingUrlProblem(raw: string, production: boolean): string | null {
  if (raw.length > MAX_LANDING_URL) return `at most ${MAX_LANDING_URL} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'an http(s) URL';
  if (production && url.protocol !== 'https:') return 'an https URL (NODE_ENV=production)';
  if (url.username || url.password) return 'a URL without user:password@';
  if (!url.hostname) return 'a URL with a host';
  return null;
}

/** Deploy-time check of a plan's landing block: problems stop the deploy with the field's path. */
export function landingProblems(landing: { url: string } | undefined, production: boolean): ErrorDetail[] {
  if (!landing) return [];
  const problem = landingUrlProblem(landing.url, production);
  return problem ? [{ path: 'landing.url', message: `must be ${problem}`, expected: problem }] : [];
}

/** Records a campaign version's landing page (or that it has none) and the campaign's status. */
export async function registerLanding(
  db: Db,
  input: {
    clientId: string;
    campaignId: string;
    landing: { url: string; attributionDays: number } | undefined;
    status: string;
  },
): Promise<void> {
  await repo.upsertLanding(db, {
    client_id: input.clientId,
    campaign_id: input.campaignId,
    url: input.landing?.url ?? null,
    attribution_days: input.landing?.attributionDays ?? DEFAULT_ATTRIBUTION_DAYS,
    campaign_status: input.status,
  });
}

export async function setLandingStatus(
  db: Db,
  input: { clientId: string; campaignId: string; status: string },
): Promise<void> {
  await repo.setLandingStatus(db, input.clientId, input.campaignId, input.status);
}

export type Landing =
  | { kind: 'redirect'; location: string; maxAgeSeconds: number }
  | { kind: 'no-landing'; maxAgeSeconds: number }
  | { kind: 'ended' };

/**
 * What a visit to a valid code gets. The campaign's URL decides; a code's own landing URL (a deep link
 * a journey step chose) is used only on the campaign's origin, so a step fed from event data cannot
 * point a share link elsewhere. `?ref=CODE` is merged into the target's query.
 */
export async function landingFor(db: Db, code: repo.CodeRow, production: boolean): Promise<Landing> {
  const row = code.campaign_id ? await repo.findLanding(db, code.client_id, code.campaign_id) : undefined;
  if (row?.campaign_status === 'ended') return { kind: 'ended' };
  const maxAgeSeconds = (row?.attribution_days ?? DEFAULT_ATTRIBUTION_DAYS) * 86_400;
  const base = row?.url && !landingUrlProblem(row.url, production) ? new URL(row.url) : null;
  if (!base) return { kind: 'no-landing', maxAgeSeconds };
  const deep =
    code.landing_url && !landingUrlProblem(code.landing_url, production) ? new URL(code.landing_url) : null;
  const target = deep && deep.origin === base.origin ? deep : base;
  target.searchParams.set('ref', code.code);
  return { kind: 'redirect', location: target.toString(), maxAgeSeconds };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** A small self-contained page (no scripts, no external resources) for the visits that do not redirect. */
export function landingPage(title: string, message: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#f6f7f9;color:#1d2330}main{max-width:32rem;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 4px #0002}h1{font-size:1.3rem;margin:0 0 .5rem}code{background:#eef;padding:.1rem .3rem;border-radius:4px}</style>
</head>
<body><main><h1>${escapeHtml(title)}</h1><p>${message}</p></main></body>
</html>
`;
}

export const pages = {
  valid: (code: string) =>
    landingPage(
      'Your referral code is valid',
      `The code <code>${escapeHtml(code)}</code> is valid, but this campaign has no landing page set up yet. Keep the code: you can enter it when you sign up.`,
    ),
  unknown: () =>
    landingPage('This referral link is not valid', 'The link may be mistyped, or the code does not exist.'),
  ended: () => landingPage('This referral link is no longer active', 'The campaign it belongs to has ended.'),
};
