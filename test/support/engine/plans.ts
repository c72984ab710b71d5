import {
  type CampaignRef,
  type IfStep,
  type JourneyEvent,
  PLAN_VERSION,
  type Plan,
  type Step,
  type WaitStep,
} from '../../../contract/plan.ts';

/** A hand-written plan around `steps` (tests and the benchmark, before or beside the DSL). */
export function handPlan(steps: Step[], extra: Partial<Plan> = {}): Plan {
  return {
    planVersion: PLAN_VERSION,
    pulse: 'test',
    id: 'test-plan',
    version: 1,
    title: 'Test plan',
    trigger: { events: ['test_started'], journey: { var: 'event.participant_id' } },
    settings: {},
    rewards: {},
    segments: {},
    waitsFor: collectWaits(steps),
    steps,
    children: {},
    hash: 'test-hash',
    ...extra,
  };
}

/** Every event name a wait in `steps` listens for (what the compiler puts in `waitsFor`). */
export function collectWaits(steps: Step[]): string[] {
  const names = new Set<string>();
  const visit = (list: Step[]): void => {
    for (const s of list) {
      switch (s.kind) {
        case 'wait':
          for (const e of s.events) names.add(e);
          visit(s.then);
          visit(s.onTimeout);
          break;
        case 'if':
          visit(s.then);
          visit(s.else);
          break;
        case 'switch':
          for (const c of s.cases) visit(c.steps);
          visit(s.default);
          break;
        case 'parallel':
          for (const b of s.branches) visit(b.steps);
          break;
        case 'repeat':
        case 'for_each':
          visit(s.steps);
          break;
        case 'try':
          visit(s.steps);
          for (const c of s.catch) visit(c.steps);
          visit(s.finally ?? []);
          break;
        default:
          break;
      }
    }
  };
  visit(steps);
  return [...names];
}

export const testCampaign: CampaignRef = {
  clientId: 'client-1',
  campaignId: 'camp-1',
  version: 1,
  pulse: 'test',
};

let counter = 0;
/** A well-formed event with a fresh id. */
export function testEvent(event: string, fields: Partial<JourneyEvent> = {}): JourneyEvent {
  counter += 1;
  return {
    event,
    event_id: `evt-${event}-${counter}`,
    occurred_at: '2025-01-01T00:00:00.000Z',
    client_id: 'client-1',
    participant_id: 'participant-1',
    ...fields,
  };
}

/** An `if` step (`then` is the contract's field name; object literals with it trip the linter). */
export function ifStep(id: string, cond: unknown, onTrue: Step[], onFalse: Step[] = []): IfStep {
  // biome-ignore lint/suspicious/noThenProperty: field name of contract/plan.ts IfStep, not a thenable
  return { id, kind: 'if', cond, then: onTrue, else: onFalse };
}

/** A `wait` step; `onMatch` becomes the contract's `then`. */
export function waitStep(
  fields: Omit<WaitStep, 'kind' | 'then' | 'onTimeout'> & { onMatch?: Step[]; onTimeout?: Step[] },
): WaitStep {
  const { onMatch = [], onTimeout = [], ...rest } = fields;
  // biome-ignore lint/suspicious/noThenProperty: field name of contract/plan.ts WaitStep, not a thenable
  return { ...rest, kind: 'wait', then: onMatch, onTimeout };
}
