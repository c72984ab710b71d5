import type { ActivityImplementations, ActivityInput, ActivityOutput } from '../contract/catalogue.ts';

/** Review platforms we verify, best first: the platform decides the reward tier, never the rating. */
const REVIEW_HOSTS: Record<string, string> = {
  'g2.com': 'g2',
  'capterra.com': 'capterra',
  'trustpilot.com': 'trustpilot',
};

function hostOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' ? u.hostname.replace(/^www\./, '') : null;
  } catch {
    return null;
  }
}

/**
 * Checks proof a participant submitted. Reviews: an https URL on a known platform and a rating 1–5 (any
 * rating: we reward the effort, not a positive review). Competitor proof: an invoice or account URL and
 * the competitor's name. Migration: a positive count of imported records.
 */
export function verifySubmission(
  input: ActivityInput<'VerifySubmission'>,
): ActivityOutput<'VerifySubmission'> {
  const evidence = (input.evidence ?? {}) as Record<string, unknown>;
  switch (input.kind) {
    case 'review': {
      const host = hostOf(input.url);
      const platform = host
        ? Object.entries(REVIEW_HOSTS).find(([h]) => host === h || host.endsWith(`.${h}`))?.[1]
        : undefined;
      if (!platform) return { verified: false, reason: 'unknown_review_platform', tier: null };
      if (typeof input.rating !== 'number' || input.rating < 1 || input.rating > 5)
        return { verified: false, reason: 'missing_rating', tier: platform };
      return { verified: true, reason: null, tier: platform };
    }
    case 'competitor_proof': {
      const competitor = typeof evidence.competitor === 'string' ? evidence.competitor : input.platform;
      if (!competitor) return { verified: false, reason: 'competitor_not_named', tier: null };
      if (
        !hostOf(input.url ?? (typeof evidence.invoice_url === 'string' ? evidence.invoice_url : undefined))
      ) {
        return { verified: false, reason: 'missing_proof_url', tier: null };
      }
      return { verified: true, reason: null, tier: competitor.toLowerCase() };
    }
    case 'migration': {
      const imported = typeof evidence.imported_records === 'number' ? evidence.imported_records : 0;
      if (imported <= 0) return { verified: false, reason: 'nothing_imported', tier: null };
      return { verified: true, reason: null, tier: imported >= 1000 ? 'full' : 'partial' };
    }
  }
}

export const createVerifySubmission = (): ActivityImplementations['VerifySubmission'] => async (input) =>
  verifySubmission(input);
