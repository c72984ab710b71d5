import { Hono } from 'hono';
import { toDurationMs } from '../../contract/duration.ts';
import { AppError } from '../../contract/errors.ts';
import type { CampaignSimulateBody } from '../../contract/generated/api.generated.ts';
import type { Plan } from '../../contract/plan.ts';
import { compileCampaignSource } from '../../dsl/index.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../platform/auth.ts';
import { readBody } from '../platform/http.ts';
import { api } from '../platform/openapi.ts';
import type { CampaignHooks } from './service.ts';

/**
 * Runs a compiled plan on the time-skipping test server with a script (the engine's simulator). The
 * composition root passes it in: services never import the engine.
 */
export type CampaignSimulator = (
  plan: Plan,
  script: CampaignSimulateBody['script'],
) => Promise<{ trace: unknown; text: string }>;

export const SIMULATION_LIMITS = {
  events: 50,
  decisions: 50,
  /** Virtual time after the last event (the simulator's own default is the most). */
  horizonMs: 400 * 86_400_000,
  /** Wall time a caller waits for the answer. */
  wallMs: 30_000,
} as const;

/**
 * `POST /v1/campaigns/simulate`: compile as a deploy does (same diagnostics, the client's declared
 * events), then simulate. Bounded: script size, virtual horizon, one run at a time per server, wall time.
 */
export function createSimulateRoutes(deps: {
  resolver: ApiKeyResolver;
  hooks: Pick<CampaignHooks, 'declaredEvents'>;
  simulator?: CampaignSimulator | undefined;
}) {
  let running = 0;
  const gate = authenticate(deps.resolver, { permission: 'campaign.deploy' });
  return new Hono<{ Variables: AuthVariables }>().post('/simulate', gate, async (c) => {
    const body = await readBody<CampaignSimulateBody>(c, api('campaignSimulateBody'), 'simulate request');
    const { script } = body;
    const tooMany = [
      ...(script.events.length > SIMULATION_LIMITS.events
        ? [{ path: 'script.events', message: `at most ${SIMULATION_LIMITS.events} events` }]
        : []),
      ...((script.decisions?.length ?? 0) > SIMULATION_LIMITS.decisions
        ? [{ path: 'script.decisions', message: `at most ${SIMULATION_LIMITS.decisions} decisions` }]
        : []),
      ...(script.horizon !== undefined &&
      (toDurationMs(script.horizon) ?? Number.POSITIVE_INFINITY) > SIMULATION_LIMITS.horizonMs
        ? [{ path: 'script.horizon', message: 'at most 400d of virtual time' }]
        : []),
    ];
    if (tooMany.length)
      throw new AppError('VALIDATION_FAILED', 'the simulation script is too large', tooMany);
    const file = body.file ?? 'campaign.pulse.yaml';
    const clientId = c.get('principal').clientId;
    const declaredEvents = deps.hooks.declaredEvents ? await deps.hooks.declaredEvents(clientId) : [];
    const { plan, diagnostics } = compileCampaignSource(body.source, file, {
      settings: { ...(body.settings ?? {}) },
      declaredEvents,
    });
    const errors = diagnostics.filter((d) => (d.severity ?? 'error') === 'error');
    if (!plan || errors.length > 0)
      throw new AppError(
        'VALIDATION_FAILED',
        `${file} has ${errors.length} error(s)`,
        errors.map((d) => ({
          path: d.path,
          message: `${d.file}:${d.line}:${d.column} ${d.code}: ${d.message}`,
        })),
      );
    if (!deps.simulator) throw new AppError('UPSTREAM_UNAVAILABLE', 'this server runs no simulator');
    if (running > 0)
      throw new AppError('RATE_LIMITED', 'another simulation is running on this server; retry shortly');
    running++;
    const run = deps.simulator(plan, script).finally(() => {
      running--;
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new AppError(
              'UPSTREAM_UNAVAILABLE',
              `the simulation took longer than ${SIMULATION_LIMITS.wallMs / 1000} s`,
            ),
          ),
        SIMULATION_LIMITS.wallMs,
      );
    });
    try {
      const result = await Promise.race([run, timeout]);
      return c.json({
        text: result.text,
        trace: result.trace as Record<string, unknown>,
        warnings: diagnostics.filter((d) => d.severity === 'warning'),
      });
    } finally {
      clearTimeout(timer);
      run.catch(() => undefined);
    }
  });
}
