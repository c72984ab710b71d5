import type { ActivityImplementations, ActivityInput, ActivityOutput } from '../contract/catalogue.ts';

type Traits = Record<string, unknown>;
const num = (t: Traits, k: string): number | undefined =>
  typeof t[k] === 'number' && Number.isFinite(t[k]) ? (t[k] as number) : undefined;
const clamp = (n: number) => Math.max(0, Math.min(100, Math.round(n)));

/**
 * Transparent scoring models over the traits the client sends (identify / participant context). They are
 * deliberately simple, documented weightings so a marketer can predict them; a client with its own model
 * sends `traits.<model>_score` and that value wins.
 */
const MODELS: Record<
  ActivityInput<'ScoreParticipant'>['model'],
  (t: Traits) => { score: number; signals: Traits }
> = {
  churn_risk: (t) => {
    const inactive = num(t, 'days_inactive') ?? 0;
    const usage = num(t, 'usage_trend') ?? 0; // -1 (falling) … +1 (rising)
    const tickets = num(t, 'support_tickets_30d') ?? 0;
    return {
      score: inactive * 1.2 - usage * 25 + tickets * 5 + 10,
      signals: { days_inactive: inactive, usage_trend: usage, support_tickets_30d: tickets },
    };
  },
  purchase_intent: (t) => {
    const views = num(t, 'feature_views') ?? 1;
    const seconds = num(t, 'time_on_feature_s') ?? 0;
    return {
      score: views * 12 + seconds / 10,
      signals: { feature_views: views, time_on_feature_s: seconds },
    };
  },
  customer_health: (t) => {
    const nps = num(t, 'nps') ?? 7;
    const seats = num(t, 'active_seats_ratio') ?? 0.5;
    return { score: nps * 6 + seats * 40, signals: { nps, active_seats_ratio: seats } };
  },
  feature_adoption: (t) => {
    const adopted = num(t, 'features_adopted') ?? 0;
    const total = num(t, 'features_total') ?? 10;
    return {
      score: total > 0 ? (adopted / total) * 100 : 0,
      signals: { features_adopted: adopted, features_total: total },
    };
  },
  engagement: (t) => {
    const sessions = num(t, 'sessions_30d') ?? 0;
    return { score: sessions * 5, signals: { sessions_30d: sessions } };
  },
};

export function scoreParticipant(
  input: ActivityInput<'ScoreParticipant'>,
): ActivityOutput<'ScoreParticipant'> {
  const traits = (input.traits ?? {}) as Traits;
  const own = num(traits, `${input.model}_score`);
  const { score, signals } =
    own !== undefined ? { score: own, signals: { provided: true } } : MODELS[input.model](traits);
  const s = clamp(score);
  return { score: s, level: s >= 67 ? 'high' : s >= 34 ? 'medium' : 'low', signals };
}

export const createScoreParticipant = (): ActivityImplementations['ScoreParticipant'] => async (input) =>
  scoreParticipant(input);
