/**
 * Engine benchmark: journeys/second of the conversion journey run by the generic interpreter
 * (runCampaign + plan) versus a hand-written Temporal workflow making the same activity calls, on the
 * real dev server, one worker (same settings) for both, same run. Goal: interpreter ≥ 90% of hand-written.
 * The plan is campaigns/conversion.pulse.yaml; bench/hand-written-conversion-workflow.ts mirrors it, and
 * the run stops if the two no longer make identical activity calls.
 *
 *   npm run bench:engine [-- --journeys 300 --rounds 2 --cap-seconds 60 --private]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { CampaignRef, JourneyEvent, Plan } from '../contract/plan.ts';
import { formatDiagnostics, loadCampaignFile } from '../dsl/index.ts';
import type { EngineInput } from '../engine/interpreter/types.ts';
import { quietTemporalRuntime } from '../engine/quiet-runtime.ts';
import { type ActivityCall, createFakeActivities } from '../engine/simulation/fake-activities.ts';
import { createWorker } from '../engine/worker.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const { values: args } = parseArgs({
  options: {
    journeys: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '2' },
    'cap-seconds': { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '100' },
    // An in-memory dev server of our own: the stack's file-backed one is server-bound (~2 journeys/s),
    // which hides the worker-side cost this benchmark is about.
    private: { type: 'boolean', default: false },
  },
});
const JOURNEYS = Math.min(Number(args.journeys), 2_000);
const ROUNDS = Math.min(Number(args.rounds), 5);
const CAP_MS = Number(args['cap-seconds']) * 1_000;
const CONCURRENCY = Number(args.concurrency);

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 500 }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** The stack's dev server, or a private one on another port when it is not up. */
async function devServer(): Promise<{ address: string; stop: () => void }> {
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const [host = '127.0.0.1', port = '7233'] = address.split(':');
  if (!args.private && (await reachable(host, Number(port)))) return { address, stop: () => undefined };
  const bin = `${REPO}.venv/bin/temporal`;
  if (!existsSync(bin)) throw new Error(`no dev server at ${address} and no ${bin}; run npm run stack -- up`);
  const child: ChildProcess = spawn(
    bin,
    [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      '7299',
      '--ui-port',
      '8299',
      '--headless',
      '--log-level',
      'error',
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100 && !(await reachable('127.0.0.1', 7299)); i++)
    await new Promise((r) => setTimeout(r, 200));
  console.log(
    `${args.private ? '--private' : `no dev server at ${address}`}: started an in-memory one on 127.0.0.1:7299`,
  );
  return { address: '127.0.0.1:7299', stop: () => child.kill('SIGTERM') };
}

/** The conversion pulse, compiled with its default settings (the hand-written workflow mirrors it). */
function conversionPlan(): Plan {
  const file = `${REPO}campaigns/conversion.pulse.yaml`;
  const { plan, diagnostics } = loadCampaignFile(file);
  if (!plan) throw new Error(`${file} does not compile:\n${formatDiagnostics(diagnostics)}`);
  return plan;
}

/** Both sides must make the same calls: activity, input and idempotency path of every call. */
function callSignature(calls: ActivityCall[], side: Side, tag: string): string[] {
  const workflowId = `bench-${side}-${tag}-0`;
  return (
    calls
      .filter((c) => c.workflowId === workflowId && c.attempt === 1)
      .map((c) => `${c.activity} ${c.idempotencyKey.slice(workflowId.length)} ${JSON.stringify(c.input)}`)
      // Ids the fakes derive from the workflow id differ by side; everything else must match exactly.
      .map((line) => line.replaceAll(tag, '<key>').replace(/"(rw|n|evt)-[0-9a-z]+"/g, '"$1-<id>"'))
      .sort()
  );
}

type Side = 'interpreter' | 'hand-written';

async function runBatch(client: Client, taskQueue: string, side: Side, plan: Plan, n: number, tag: string) {
  const campaign: CampaignRef = {
    clientId: 'bench',
    campaignId: `conversion-${tag}`,
    version: 1,
    pulse: 'conversion',
  };
  const started = Date.now();
  const cpuBefore = process.cpuUsage();
  const results: Promise<unknown>[] = [];
  let inFlight = 0;
  let done = 0;
  for (let i = 0; i < n && Date.now() - started < CAP_MS; i++) {
    while (inFlight >= CONCURRENCY) await new Promise((r) => setTimeout(r, 2));
    const key = `${tag}-${i}`;
    const trigger: JourneyEvent = {
      event: 'referred_made_purchase',
      event_id: `bench-${key}`,
      occurred_at: new Date().toISOString(),
      client_id: 'bench',
      participant_id: `friend-${key}`,
      referral_id: `ref-${key}`,
      properties: { amount: 120, order_id: `order-${key}` },
    };
    const input: EngineInput = { plan, campaign, journeyKey: trigger.referral_id!, trigger };
    inFlight += 1;
    const type = side === 'interpreter' ? 'runCampaign' : 'handWrittenConversion';
    results.push(
      client.workflow
        .start(type, { taskQueue, workflowId: `bench-${side}-${key}`, args: [input] })
        .then((h) => h.result())
        .then((outcome) => {
          if ((outcome as { status?: string }).status !== 'completed')
            throw new Error(`journey ${key} did not complete`);
          done += 1;
        })
        .finally(() => {
          inFlight -= 1;
        }),
    );
  }
  await Promise.all(results);
  const seconds = (Date.now() - started) / 1_000;
  const cpu = process.cpuUsage(cpuBefore);
  // Worker and client share this process: CPU per journey is the load-independent cost of each side.
  const cpuMsPerJourney = (cpu.user + cpu.system) / 1_000 / Math.max(done, 1);
  return { side, journeys: done, seconds, perSecond: done / seconds, cpuMsPerJourney };
}

async function main(): Promise<void> {
  quietTemporalRuntime();
  const server = await devServer();
  const plan = conversionPlan();
  const taskQueue = `bench-engine-${process.pid}`;
  const fakes = createFakeActivities();
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const worker = await createWorker({
    connection: nativeConnection,
    taskQueue,
    activities: fakes.activities,
    workflowsPath: fileURLToPath(new URL('./engine-workflows.ts', import.meta.url)),
    tuning: {
      maxConcurrentWorkflowTaskExecutions: 100,
      maxConcurrentActivityTaskExecutions: 200,
      maxCachedWorkflows: 1_000,
    },
  });
  console.log(
    `engine benchmark: ${JOURNEYS} journeys × ${ROUNDS} rounds per side, campaigns/conversion.pulse.yaml`,
  );
  console.log(`server ${server.address}, one worker for both sides, ${CONCURRENCY} journeys in flight`);
  const rows: Awaited<ReturnType<typeof runBatch>>[] = [];
  try {
    await worker.runUntil(async () => {
      const stamp = Date.now().toString(36);
      await runBatch(client, taskQueue, 'interpreter', plan, 30, `${stamp}-warm-i`);
      await runBatch(client, taskQueue, 'hand-written', plan, 30, `${stamp}-warm-h`);
      const interpCalls = callSignature(fakes.calls, 'interpreter', `${stamp}-warm-i`);
      const handCalls = callSignature(fakes.calls, 'hand-written', `${stamp}-warm-h`);
      const same = interpCalls.length > 0 && JSON.stringify(interpCalls) === JSON.stringify(handCalls);
      console.log(
        `same activity calls on both sides: ${same ? 'yes' : 'NO'} (${interpCalls.length} per journey)`,
      );
      if (!same) {
        console.log(
          `interpreter:\n  ${interpCalls.join('\n  ')}\nhand-written:\n  ${handCalls.join('\n  ')}`,
        );
        throw new Error('the hand-written workflow no longer mirrors the conversion pulse');
      }
      // ABBA order per round cancels drift (caches warming, server compaction) between the sides.
      for (let r = 0; r < ROUNDS; r++) {
        const order: Side[] = r % 2 === 0 ? ['interpreter', 'hand-written'] : ['hand-written', 'interpreter'];
        for (const side of order) {
          const row = await runBatch(client, taskQueue, side, plan, JOURNEYS, `${stamp}-${r}-${side[0]}`);
          rows.push(row);
          console.log(
            `  round ${r + 1} ${side.padEnd(12)} ${row.journeys} journeys in ${row.seconds.toFixed(2)} s = ${row.perSecond.toFixed(1)} journeys/s, ${row.cpuMsPerJourney.toFixed(1)} ms CPU per journey (worker+client)`,
          );
        }
      }
    });
  } finally {
    await connection.close();
    await nativeConnection.close();
    server.stop();
  }
  const total = (side: Side) => {
    const mine = rows.filter((r) => r.side === side);
    return mine.reduce((a, r) => a + r.journeys, 0) / mine.reduce((a, r) => a + r.seconds, 0);
  };
  const cpu = (side: Side) => {
    const mine = rows.filter((r) => r.side === side);
    return (
      mine.reduce((a, r) => a + r.cpuMsPerJourney * r.journeys, 0) / mine.reduce((a, r) => a + r.journeys, 0)
    );
  };
  const interp = total('interpreter');
  const hand = total('hand-written');
  console.log(
    `interpreter   ${interp.toFixed(1)} journeys/s  ${cpu('interpreter').toFixed(1)} ms CPU/journey`,
  );
  console.log(
    `hand-written  ${hand.toFixed(1)} journeys/s  ${cpu('hand-written').toFixed(1)} ms CPU/journey`,
  );
  console.log(`ratio         ${((interp / hand) * 100).toFixed(1)}% of hand-written throughput (goal ≥ 90%)`);
  console.log(
    `CPU ratio     interpreter costs ${((cpu('interpreter') / cpu('hand-written')) * 100).toFixed(1)}% of hand-written CPU per journey`,
  );
  console.log(`activity calls made: ${fakes.calls.length}`);
}

await main();
