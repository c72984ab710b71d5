import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { toDurationMs } from '../../contract/duration.ts';
import type { CampaignRef, JourneyEvent } from '../../contract/plan.ts';
import { createAjv, toErrorDetails } from '../../contract/validation.ts';
import type { FakeOverrides, FakeRule } from './fake-activities.ts';

/** One scripted event: delivered through the router `at` an offset from the simulation start. */
export interface ScriptedEvent {
  /** Offset: ms, "2d"/"1h30m", or ISO-8601 "P2DT3H". Default: same time as the previous event. */
  at?: number | string;
  /** The event; `event_id`, `occurred_at` and `client_id` are filled in when absent. */
  event: Partial<JourneyEvent> & { event: string };
}

/** A simulation: events to deliver, fake activity behaviour, deploy-time settings. */
export interface SimulationScript {
  description?: string;
  campaign?: Partial<CampaignRef>;
  /** Overrides of the plan's settings (what a client would set in the portal). */
  settings?: Record<string, unknown>;
  activities?: FakeOverrides;
  events: ScriptedEvent[];
  /** Virtual time the journeys may run after the last event (default 400d); then unfinished ones stop. */
  horizon?: number | string;
}

const rule = {
  type: 'object',
  additionalProperties: false,
  properties: {
    when: {},
    returns: { type: 'object' },
    fail: {
      type: 'object',
      required: ['code'],
      additionalProperties: false,
      properties: { code: { type: 'string' }, message: { type: 'string' }, retryable: { type: 'boolean' } },
    },
  },
} as const;

const scriptSchema = {
  type: 'object',
  required: ['events'],
  additionalProperties: false,
  properties: {
    description: { type: 'string' },
    campaign: { type: 'object' },
    settings: { type: 'object' },
    horizon: { type: ['number', 'string'] },
    activities: {
      type: 'object',
      additionalProperties: { anyOf: [rule, { type: 'array', items: rule }] },
    },
    events: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['event'],
        additionalProperties: false,
        properties: {
          at: { type: ['number', 'string'] },
          event: {
            type: 'object',
            required: ['event'],
            // `trust`: how the event would arrive (sdk = a browser, server = signed); absent counts as sdk.
            properties: {
              event: { type: 'string', minLength: 1 },
              trust: { enum: ['sdk', 'server', 'integration'] },
            },
          },
        },
      },
    },
  },
} as const;

const validate = createAjv().compile<SimulationScript>(scriptSchema);

/** A script that is not valid YAML/JSON or does not fit the script shape; lists every offending field. */
export class SimulationScriptError extends Error {
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
