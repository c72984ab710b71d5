import { type Command, Option } from 'commander';
import { JOURNEY_STATUS_NAMES, type JourneyStatus } from '../../services/workflow/index.ts';
import { type ConnectionFlags, createApi, listAll, resolveTarget, send } from './api.ts';
import { withConnection } from './connection.ts';
import { type CliIo, emit, type OutputFormat, outputOption, table } from './io.ts';

/** `pulse journey list|show`: running and finished journeys of the client's campaigns. */
export function addJourneyCommands(program: Command, io: CliIo): void {
  const journey = program.command('journey').description('inspect journeys (a client key)');
  withConnection(
    journey
      .command('list')
      .description('list journeys, newest first')
      .option('--campaign <id>', 'only this campaign (cmp_…)')
      .option('--participant <id>', 'only this participant')
      .addOption(new Option('--status <status>', 'only journeys in this state').choices(JOURNEY_STATUS_NAMES))
      .addOption(outputOption()),
  ).action(
    async (
      opts: ConnectionFlags & {
        campaign?: string;
        participant?: string;
        status?: JourneyStatus;
        output: OutputFormat;
      },
    ) => {
      const target = resolveTarget(opts, io);
      const api = createApi(target);
      const filters = {
        ...(opts.campaign ? { campaign_id: opts.campaign } : {}),
        ...(opts.participant ? { participant_id: opts.participant } : {}),
        ...(opts.status ? { status: opts.status } : {}),
      };
      const journeys = await listAll<Record<string, unknown>>((cursor) =>
        send(
          target,
          'list journeys',
          api.GET('/v1/journeys', {
            params: { query: { ...filters, ...(cursor ? { starting_after: cursor } : {}) } },
          }),
        ),
      );
      emit(io, opts.output, { data: journeys }, () =>
        table(journeys, [
          'workflow_id',
          'campaign_id',
          'journey_key',
          'participant_id',
          'status',
          'started_at',
          'closed_at',
        ]),
      );
    },
  );

  withConnection(
    journey
      .command('show')
      .description("one journey's execution status and interpreter state")
      .argument('<campaign>', 'campaign id (cmp_…)')
      .argument('<key>', 'journey key (usually the participant id)')
      .addOption(outputOption()),
  ).action(
    async (campaignId: string, journeyKey: string, opts: ConnectionFlags & { output: OutputFormat }) => {
      const target = resolveTarget(opts, io);
      const r = await send(
        target,
        `show journey ${campaignId}/${journeyKey}`,
        createApi(target).GET('/v1/journeys/{campaignId}/{journeyKey}', {
          params: { path: { campaignId, journeyKey } },
        }),
      );
      emit(io, opts.output, r, () =>
        [
          `journey ${r.workflow_id}: ${r.execution_status}`,
          `  started ${r.started_at}${r.closed_at ? `, closed ${r.closed_at}` : ''}`,
          `  state   ${JSON.stringify(r.journey, null, 2).split('\n').join('\n  ')}`,
        ].join('\n'),
      );
    },
  );
}
