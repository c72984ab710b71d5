import type { ErrorDetail } from '../../../contract/errors.ts';
import type { Db } from '../../platform/db.ts';
import { assessFraud, type FraudCheckInput } from './engine.ts';
import { type IdentityInput, identityFacts } from './identity.ts';
import { policyProblems } from './policy.ts';
import { type FraudDb, rememberIdentity, savePolicy } from './repo.ts';
import { RULE_IDS } from './rules.ts';

export { assessFraud, type FraudCheckInput, type FraudVerdict } from './engine.ts';
export { RULES } from './rules.ts';

/** Deploy-time check of a plan's `fraud:` block (what the schema cannot say). */
export function fraudProblems(policy: unknown): ErrorDetail[] {
  return policyProblems(policy, RULE_IDS);
}

/** Records a campaign version's fraud block (or that it has none: the defaults then apply). */
export async function registerFraudPolicy(
  db: Db,
  input: { clientId: string; campaignId: string; policy: unknown },
): Promise<void> {
  await savePolicy(db as unknown as FraudDb, input.clientId, input.campaignId, input.policy ?? {});
}

/** What a participant's own event (a browser signup) says about them, remembered for later checks. */
export async function rememberParticipant(
  db: Db,
  hashSecret: string,
  clientId: string,
  participantId: string,
  input: IdentityInput,
  at: Date,
): Promise<void> {
  await rememberIdentity(
    db as unknown as FraudDb,
    clientId,
    participantId,
    identityFacts(hashSecret, input),
    at,
  );
}

export function checkFraud(
  db: Db,
  hashSecret: string,
  t: { clientId: string; campaignId: string },
  input: FraudCheckInput,
) {
  return assessFraud(db as unknown as FraudDb, hashSecret, t, input);
}
