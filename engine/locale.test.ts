import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { compileCampaignSource, formatDiagnostics } from '../dsl/index.ts';
import { createTimeSkippingEnv } from '../test/support/temporal.ts';
import { quietTemporalRuntime } from './quiet-runtime.ts';
import { simulate } from './simulate.ts';
import { parseSimulationScript } from './simulation/script.ts';

let env: TestWorkflowEnvironment;
before(async () => {
  quietTemporalRuntime();
  env = await createTimeSkippingEnv();
});
after(async () => {
  await env?.teardown();
});

const welcome = (locale: string, participantLocale = false) => `pulse: welcome
id: welcome-${locale || 'none'}
version: 1
title: Welcome
${locale ? `locale: ${locale}\n` : ''}trigger: { event: user_signed_up }
steps:
  - id: content
    do: RenderNotificationContent
    with:
      template: signup-welcome
${participantLocale ? '      locale: { var: event.traits.locale }\n' : ''}      data:
        participant: { name: Zoé }
        referral_link: https://pulse.test/r/ZOE
        referral_code: ZOE
    as: content
`;

let participants = 0;
/** A new participant each time: the simulations share one server, and a journey key runs once. */
const signup = (traits: string) =>
  parseSimulationScript(
    `events:\n  - event: { event: user_signed_up, participant_id: p-${++participants}, traits: ${traits} }\n`,
  );

async function subjectOf(locale: string, traits: string): Promise<unknown> {
  const compiled = compileCampaignSource(welcome(locale, traits !== '{}'), 'welcome.pulse.yaml');
  assert.ok(compiled.plan, formatDiagnostics(compiled.diagnostics));
  const trace = await simulate(compiled.plan, signup(traits), { env });
  const vars = trace.journeys[0]?.outcome?.vars as { content?: { subject?: unknown } } | undefined;
  return vars?.content?.subject;
}

describe('campaign default locale', () => {
  it('templates render in the campaign locale when the participant has none; theirs wins; en last', async () => {
    assert.equal(await subjectOf('fr', '{}'), 'Bienvenue ! Votre lien de parrainage est prêt');
    assert.match(String(await subjectOf('', '{}')), /^Welcome/);
    // The participant's own locale first (no German template: the campaign's French, not English).
    assert.equal(await subjectOf('fr', '{ locale: de }'), 'Bienvenue ! Votre lien de parrainage est prêt');
    assert.match(String(await subjectOf('de', '{ locale: en }')), /^Welcome/);
  });

  it('compiles to the canonical tag', () => {
    assert.equal(compileCampaignSource(welcome('fr-ca'), 'w.pulse.yaml').plan?.locale, 'fr-CA');
  });
});
