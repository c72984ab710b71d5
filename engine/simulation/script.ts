import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { toDurationMs } from '../../contract/duration.ts';
import type {
  ScriptedEvent as ScriptedEventFile,
  SimulationScript as SimulationScriptFile,
} from '../../contract/generated/simulation-script.generated.ts';
import type { CampaignRef, JourneyEvent } from '../../contract/plan.ts';
import { toErrorDetails, validatorFor } from '../../contract/validation.ts';
import type { FakeOverrides, FakeRule } from './fake-activities.ts';

/**
 * One scripted event: delivered through the router `at` an offset from the simulation start. The shape
 * is schemas/simulation-script.schema.json's; in memory the event is typed as the journey event it becomes.
 */
export interface ScriptedEvent extends Omit<ScriptedEventFile, 'event'> {
  /** The event; `event_id`, `occurred_at` and `client_id` are filled in when absent. */
  event: Partial<JourneyEvent> & { event: string };
}

/**
 * A simulation: events to deliver, fake activity behaviour, deploy-time settings. A script file fits
 * schemas/simulation-script.schema.json; a program may also pass fakes as functions.
 */
export interface SimulationScript extends Omit<SimulationScriptFile, 'campaign' | 'activities' | 'events'> {
  campaign?: Partial<CampaignRef>;
  activities?: FakeOverrides;
  events: ScriptedEvent[];
}

const validate = validatorFor<SimulationScript>('simulation-script.schema.json');

/** A script that is not valid YAML/JSON or does not fit the script shape; lists every offending field. */
export class SimulationScriptError extends Error {
  readonly code = 'SIMULATION_SCRIPT_INVALID';
  override readonly name = 'SimulationScriptError';
}

/** Parses and validates a script (YAML or JSON text); the error lists every offending field. */
export function parseSimulationScript(text: string, file = 'script'): SimulationScript {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new SimulationScriptError(
      `${file}: not YAML/JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (!validate(data)) {
    const details = toErrorDetails(validate.errors).map((d) => `  ${d.path}: ${d.message}`);
    throw new SimulationScriptError(`${file}: invalid simulation script\n${details.join('\n')}`);
  }
  for (const [i, d] of (data.decisions ?? []).entries()) {
    if (offsetMs(d.at) === null) {
      throw new SimulationScriptError(
        `${file}: decisions.${i}.at: ${JSON.stringify(d.at)} is not a duration ("2d", "PT1H", ms)`,
      );
    }
  }
  for (const [i, e] of data.events.entries()) {
    if (e.at !== undefined && offsetMs(e.at) === null) {
      throw new SimulationScriptError(
        `${file}: events.${i}.at: ${JSON.stringify(e.at)} is not a duration ("2d", "PT1H", ms)`,
      );
    }
  }
  return data;
}

export async function loadSimulationScript(path: string): Promise<SimulationScript> {
  return parseSimulationScript(await readFile(path, 'utf8'), path);
}

/** Offset in ms of an `at` value; null when it is not a non-negative duration. */
export function offsetMs(at: number | string | undefined): number | null {
  if (at === undefined) return null;
  const ms = toDurationMs(at);
  return ms === null || ms < 0 ? null : ms;
}

export type { FakeOverrides, FakeRule };
