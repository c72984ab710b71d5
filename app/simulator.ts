import { AppError } from '../contract/errors.ts';
import type { SimulationScript } from '../engine/simulation/script.ts';
import type { CampaignSimulator } from '../services/campaign/index.ts';
import type { SimulatedCheck } from '../services/reward/eligibility/simulated.ts';

/**
 * The engine's simulator as the campaign service's `POST /v1/campaigns/simulate` runs it: the script is
 * checked as `pulse simulate --events` checks a file, each run gets a time-skipping server of its own
 * (torn down after), eligibility is judged by the campaign's own rules, and the answer carries the trace and its labelled timeline. The engine's simulator
 * (and the Temporal test server library) loads on the first simulation, not at boot.
 */
export function createCampaignSimulator(): CampaignSimulator {
  return async (plan, body) => {
    const { parseSimulationScript, SimulationScriptError } = await import('../engine/simulation/script.ts');
    const { formatTrace, simulate } = await import('../engine/simulate.ts');
    const { createSimulatedEligibility } = await import('../services/reward/eligibility/simulated.ts');
    let script: SimulationScript;
    try {
      script = parseSimulationScript(JSON.stringify(body), 'script');
    } catch (err) {
      if (err instanceof SimulationScriptError)
        throw new AppError('VALIDATION_FAILED', err.message, [{ path: 'script', message: err.message }]);
      throw err;
    }
    // The campaign's own segments and reward rules judge eligibility, as `pulse simulate` does: the trace
    // then says which reward was refused and by which part of the file.
    const rules = createSimulatedEligibility({
      campaignId: plan.id,
      rewards: plan.rewards,
      segments: plan.segments,
    });
    const trace = await simulate(plan, script, {
      eligibility: (input, now) => rules.check(input as unknown as SimulatedCheck, now),
    });
    return { trace, text: formatTrace(trace, { labelled: true }) };
  };
}
