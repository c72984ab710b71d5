import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type Command, Option } from 'commander';
import type { Plan } from '../../contract/plan.ts';
import { loadTemplateDir, type TemplateCatalog } from '../../contract/template-files.ts';
import {
  DEFAULT_CAMPAIGNS_DIR,
  formatDiagnostics,
  loadCampaignFile,
  type TemplateCheckOptions,
  toMermaid,
} from '../../dsl/index.ts';
import type { SimulatedCheck } from '../../services/reward/eligibility/simulated.ts';
import { type ConnectionFlags, createApi, listAll, resolveTarget, send } from './api.ts';
import { withConnection } from './connection.ts';
import {
  CliError,
  type CliIo,
  emit,
  type OutputFormat,
  outputOption,
  parseSettings,
  settingsOption,
  table,
} from './io.ts';
import type { Campaign, CampaignStatus } from './paths.ts';

function compileOrReport(file: string, settings: Record<string, unknown>, io: CliIo): Plan | undefined {
  const result = loadCampaignFile(file, { settings });
  if (result.diagnostics.length > 0) io.err(formatDiagnostics(result.diagnostics));
  return result.plan;
}

/**
 * The templates a file's sends are checked against: the shipped ones (campaigns/templates) plus a
 * `templates/` folder next to the file, which wins for a name it defines. Client templates stored through
 * the API are not known locally; a send that names one is TEMPLATE_MISSING here and checked at deploy.
 */
function templatesFor(file: string): TemplateCheckOptions {
  const shipped = loadTemplateDir(join(DEFAULT_CAMPAIGNS_DIR, 'templates'));
  const local = loadTemplateDir(join(dirname(file), 'templates'));
  const catalog: TemplateCatalog = {
    templates: new Map([...shipped.templates, ...local.templates]),
    partials: { ...shipped.partials, ...local.partials },
  };
  return { catalog };
}

const summary = (plan: Plan) => ({
  pulse: plan.pulse,
  id: plan.id,
  version: plan.version,
  title: plan.title,
  plan_hash: plan.hash,
});

/** `pulse validate`, `pulse plan`, `pulse simulate`: local work on YAML files, no server needed. */
export function addLocalCommands(program: Command, io: CliIo): void {
  program
    .command('validate')
    .description('validate campaign files; prints every error of every file (exit 1 when any)')
    .argument('<files...>', 'campaign YAML files')
    .addOption(outputOption())
    .action((files: string[], opts: { output: OutputFormat }) => {
      const results = files.map((file) => ({
        file,
        ...loadCampaignFile(file, { templates: templatesFor(file) }),
      }));
      const failed = results.filter((r) => !r.plan).length;
      if (opts.output === 'json') {
        const doc = results.map((r) => ({
          file: r.file,
          ok: Boolean(r.plan),
          ...(r.plan ? summary(r.plan) : {}),
          diagnostics: r.diagnostics,
        }));
        io.out(JSON.stringify({ files: doc, failed }, null, 2));
      } else {
        for (const r of results) {
          if (r.diagnostics.length > 0) io.err(formatDiagnostics(r.diagnostics));
          if (r.plan)
            io.out(`ok ${r.file} (${r.plan.pulse} v${r.plan.version}, hash ${r.plan.hash.slice(0, 12)})`);
        }
        if (failed > 0) io.err(`${failed} of ${files.length} file(s) failed validation`);
      }
      if (failed > 0) throw new CliError('FAILED', '', 1);
    });

  program
    .command('plan')
    .description('compile a campaign file and print its plan (JSON) or its flow (Mermaid)')
    .argument('<file>', 'campaign YAML file')
    .addOption(
      new Option('--format <format>', 'json: the compiled plan; mermaid: a flowchart')
        .choices(['json', 'mermaid'])
        .default('json'),
    )
    .addOption(settingsOption())
    .action((file: string, opts: { format: 'json' | 'mermaid'; settings?: string[] }) => {
      const plan = compileOrReport(file, parseSettings(opts.settings), io);
      if (!plan) throw new CliError('FAILED', '', 1);
      io.out(opts.format === 'json' ? JSON.stringify(plan, null, 2) : toMermaid(plan));
    });

  program
    .command('simulate')
    .description('run a campaign on a time-skipping test server with scripted events and fake activities')
    .argument('<file>', 'campaign YAML file')
    .requiredOption('--events <script>', 'simulation script (JSON or YAML)')
    .addOption(settingsOption())
    .addOption(outputOption())
    .action(async (file: string, opts: { events: string; settings?: string[]; output: OutputFormat }) => {
      const plan = compileOrReport(file, parseSettings(opts.settings), io);
      if (!plan) throw new CliError('FAILED', '', 1);
      // Loaded on demand (literal specifiers, visible to the layer check): the Temporal SDK is heavy
      // and only `simulate` needs it.
      const [engine, scripts, reward] = await Promise.all([
        import('../../engine/simulate.ts'),
        import('../../engine/simulation/script.ts'),
        import('../../services/reward/eligibility/simulated.ts'),
      ]);
      let script: Awaited<ReturnType<typeof scripts.loadSimulationScript>>;
      try {
        script = await scripts.loadSimulationScript(opts.events);
      } catch (err) {
        throw new CliError('FAILED', err instanceof Error ? err.message : String(err));
      }
      io.err(`simulating ${file} with ${opts.events}…`);
      // The campaign's own segments and reward rules judge eligibility, as the reward service would.
      const rules = reward.createSimulatedEligibility({
        campaignId: plan.id,
        rewards: plan.rewards,
        segments: plan.segments,
      });
      const trace = await engine.simulate(plan, script, {
        eligibility: (input, now) => rules.check(input as unknown as SimulatedCheck, now),
      });
      const failed = trace.journeys.filter(engine.journeyFailed);
      emit(io, opts.output, trace, () => engine.formatTrace(trace, { labelled: true }));
      if (failed.length > 0)
        throw new CliError('FAILED', `${failed.length} of ${trace.journeys.length} journey(s) failed`);
    });
}

const STATUS_VERBS: [verb: string, status: CampaignStatus, what: string][] = [
  ['pause', 'paused', 'pause a campaign: new journeys stop starting'],
  ['resume', 'active', 'resume a paused campaign'],
  ['archive', 'ended', 'end a campaign for good (status ended)'],
];

const CAMPAIGN_COLUMNS = ['id', 'pulse', 'title', 'status', 'current_version', 'created_at'];

/** `pulse campaign deploy|list|show|pause|resume|archive`. */
export function addCampaignCommands(program: Command, io: CliIo): void {
  const campaign = program.command('campaign').description('deploy and manage campaigns (a client key)');

  withConnection(
    campaign
      .command('deploy')
      .description('validate and compile locally, then deploy to the platform (a new version when changed)')
      .argument('<file>', 'campaign YAML file')
      .addOption(settingsOption())
      .option('--dry-run', 'validate and compile locally and show what would be deployed; deploy nothing')
      .addOption(outputOption()),
  ).action(
    async (
      file: string,
      opts: ConnectionFlags & { settings?: string[]; dryRun?: boolean; output: OutputFormat },
    ) => {
      const settings = parseSettings(opts.settings);
      // Validated locally first: the server would refuse the same errors, with less context.
      const plan = compileOrReport(file, settings, io);
      if (!plan) throw new CliError('FAILED', '', 1);
      const body = { source: readFileSync(file, 'utf8'), file: basename(file), settings };
      if (opts.dryRun) {
        const doc = {
          dry_run: true,
          ...summary(plan),
          request: { file: body.file, settings, source_bytes: Buffer.byteLength(body.source) },
        };
        emit(io, opts.output, doc, () =>
          [
            `dry run: ${file} is valid; nothing was deployed`,
            `would deploy ${plan.pulse} "${plan.title}" (${plan.id} v${plan.version}, plan ${plan.hash.slice(0, 12)})`,
            `as file ${body.file}, ${doc.request.source_bytes} bytes, settings ${JSON.stringify(settings)}`,
          ].join('\n'),
        );
        return;
      }
      const target = resolveTarget(opts, io);
      io.err(`deploying ${file} to ${target.url}…`);
      const r = await send(target, 'deploy', createApi(target).POST('/v1/campaigns/deploy', { body }));
      emit(
        io,
        opts.output,
        r,
        () =>
          `${r.created ? 'deployed' : 'unchanged'} ${file}: campaign_id ${r.campaign_id}, version ${r.version}, plan ${r.plan_hash.slice(0, 12)}`,
      );
    },
  );

  withConnection(
    campaign.command('list').description("list the client's campaigns").addOption(outputOption()),
  ).action(async (opts: ConnectionFlags & { output: OutputFormat }) => {
    const target = resolveTarget(opts, io);
    const api = createApi(target);
    const campaigns = await listAll<Campaign>((cursor) =>
      send(
        target,
        'list campaigns',
        api.GET('/v1/campaigns', { params: { query: cursor ? { starting_after: cursor } : {} } }),
      ),
    );
    emit(io, opts.output, { data: campaigns }, () => table(campaigns as never, CAMPAIGN_COLUMNS));
  });

  withConnection(
    campaign
      .command('show')
      .description('show one campaign and its versions')
      .argument('<id>', 'campaign id (cmp_…)')
      .addOption(outputOption()),
  ).action(async (id: string, opts: ConnectionFlags & { output: OutputFormat }) => {
    const target = resolveTarget(opts, io);
    const r = await send(
      target,
      `show campaign ${id}`,
      createApi(target).GET('/v1/campaigns/{id}', { params: { path: { id } } }),
    );
    emit(io, opts.output, r, () =>
      [
        table([r.campaign as never], CAMPAIGN_COLUMNS),
        '',
        table(r.versions as never, ['version', 'plan_hash', 'source_file', 'deployed_at']),
      ].join('\n'),
    );
  });

  for (const [verb, status, what] of STATUS_VERBS) {
    withConnection(
      campaign
        .command(verb)
        .description(what)
        .argument('<id>', 'campaign id (cmp_…)')
        .addOption(outputOption()),
    ).action(async (id: string, opts: ConnectionFlags & { output: OutputFormat }) => {
      const target = resolveTarget(opts, io);
      const r = await send(
        target,
        `${verb} campaign ${id}`,
        createApi(target).POST('/v1/campaigns/{id}/status', { params: { path: { id } }, body: { status } }),
      );
      emit(io, opts.output, r, () => `campaign ${r.campaign.id} is now ${r.campaign.status}`);
    });
  }
}
