/**
 * Records the event histories of every pulse scenario (engine/pulses/scenarios.ts) and hand scenario
 * (test/support/engine/hand-scenarios.ts) into test/histories/, for engine/replay.test.ts.
 *
 *   npm run histories:record              adds histories that are missing (old ones are kept: they
 *                                         are exactly what the replay test must keep replaying)
 *   npm run histories:record -- --force   re-records all of them
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Plan } from '../contract/plan.ts';
import { formatDiagnostics, loadCampaignFile } from '../dsl/index.ts';
import { quietTemporalRuntime } from '../engine/quiet-runtime.ts';
import { type SimulateOptions, type SimulationScript, simulate } from '../engine/simulate.ts';
import { handScenarios } from '../test/support/engine/hand-scenarios.ts';
import { pulseFile, scenarios } from '../test/support/engine/pulse-scenarios.ts';
import { createTimeSkippingEnv } from '../test/support/temporal.ts';

export const HISTORIES_DIR = fileURLToPath(new URL('../test/histories/', import.meta.url));

/** One file of test/histories/. */
export interface RecordedHistory {
  workflowId: string;
  history: unknown;
}

interface Job {
  file: string;
  plan: () => Plan;
  script: (start: number) => SimulationScript;
  options?: SimulateOptions['engineOptions'];
}

function jobs(): Job[] {
  const pulses: Job[] = scenarios.map((s) => ({
    file: `pulse-${s.pulse}--${s.name}.json`,
    plan: () => {
      const { plan, diagnostics } = loadCampaignFile(pulseFile(s.pulse));
      if (!plan) throw new Error(`${s.pulse}: ${formatDiagnostics(diagnostics)}`);
      return plan;
    },
    script: s.script,
  }));
  const hand: Job[] = handScenarios.map((s) => ({
    file: `hand--${s.name}.json`,
    plan: () => s.plan,
    script: () => s.script,
    ...(s.engineOptions ? { options: s.engineOptions } : {}),
  }));
  return [...pulses, ...hand];
}

async function main(): Promise<void> {
  const force = process.argv.includes('--force');
  mkdirSync(HISTORIES_DIR, { recursive: true });
  quietTemporalRuntime();
  const env = await createTimeSkippingEnv();
  let written = 0;
  try {
    for (const job of jobs()) {
      const target = `${HISTORIES_DIR}${job.file}`;
      if (existsSync(target) && !force) continue;
      const opts: SimulateOptions = { env, histories: true };
      if (job.options) opts.engineOptions = job.options;
      const trace = await simulate(job.plan(), job.script(await env.currentTimeMs()), opts);
      const journey = trace.journeys[0];
      if (!journey?.history) throw new Error(`${job.file}: the scenario started no journey`);
      // The workflow id is part of the recording: child ids and idempotency keys derive from it. The
      // protobuf message's toJSON is proto3 JSON (enum names, int64 as text).
      const recorded: RecordedHistory = { workflowId: journey.workflowId, history: journey.history };
      writeFileSync(target, `${JSON.stringify(recorded, null, 1)}\n`);
      written += 1;
      console.log(`recorded ${job.file} (${journey.history.events?.length ?? 0} events)`);
    }
  } finally {
    await env.teardown();
  }
  console.log(`${written} histories written to test/histories/`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
