/**
 * `pulse`: the campaign command line.
 *   pulse validate <files...>                      every error of every file; exit 1 when any
 *   pulse plan <file> [--settings k=v ...]           compiled plan JSON, then a Mermaid flowchart
 *   pulse deploy <file> [--url U] [--key K] [--settings k=v ...]
 *   pulse simulate <file> --events <script.json|yaml> [--settings k=v ...]
 */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { formatDiagnostics, loadCampaignFile, toMermaid } from '../dsl/index.ts';

const USAGE = `usage:
  pulse validate <files...>
  pulse plan <file> [--settings name=value ...]
  pulse deploy <file> [--url http://127.0.0.1:3000] [--key sk_...] [--settings name=value ...]
  pulse simulate <file> --events <script.json|yaml> [--settings name=value ...]`;

interface Args {
  positional: string[];
  flags: Map<string, string[]>;
}

/** `--name value` (repeatable) and `--name=value`; everything else is positional. */
export function parseArgs(argv: readonly string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const values = flags.get(name) ?? [];
    if (eq > 0) values.push(a.slice(eq + 1));
    else {
      // `--settings a=1 b=2`: settings take every following word that looks like name=value.
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) {
        values.push(argv[++i]!);
        if (name !== 'settings') break;
      }
    }
    flags.set(name, values);
  }
  return { positional, flags };
}

/** `min_order=75` → { min_order: 75 }: JSON when it parses (numbers, booleans), text otherwise. */
export function parseSettings(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--settings expects name=value, got "${pair}"`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // plain text value
    }
    out[pair.slice(0, eq)] = value;
  }
  return out;
}

class UsageError extends Error {
  readonly code = 'USAGE';
}

type Print = (text: string) => void;

function compileOrReport(file: string, settings: Record<string, unknown>, err: Print) {
  const result = loadCampaignFile(file, { settings });
  if (result.diagnostics.length > 0) err(formatDiagnostics(result.diagnostics));
  return result.plan;
}

async function validateCommand(files: string[], out: Print, err: Print): Promise<number> {
  if (files.length === 0) throw new UsageError('validate needs at least one file');
  let failed = 0;
  for (const file of files) {
    const result = loadCampaignFile(file);
    if (result.diagnostics.length > 0) err(formatDiagnostics(result.diagnostics));
    if (result.plan)
      out(`ok ${file} (${result.plan.pulse} v${result.plan.version}, hash ${result.plan.hash.slice(0, 12)})`);
    else failed++;
  }
  if (failed > 0) err(`${failed} of ${files.length} file(s) failed validation`);
  return failed > 0 ? 1 : 0;
}

async function planCommand(args: Args, out: Print, err: Print): Promise<number> {
  const file = one(args, 'plan');
  const plan = compileOrReport(file, parseSettings(args.flags.get('settings') ?? []), err);
  if (!plan) return 1;
  out(JSON.stringify(plan, null, 2));
  out('');
  out(toMermaid(plan));
  return 0;
}

async function deployCommand(args: Args, out: Print, err: Print): Promise<number> {
  const file = one(args, 'deploy');
  const settings = parseSettings(args.flags.get('settings') ?? []);
  // Validate locally first: the server would refuse the same errors, with less context.
  if (!compileOrReport(file, settings, err)) return 1;
  const url = (args.flags.get('url')?.[0] ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
  const key = args.flags.get('key')?.[0] ?? process.env.PULSE_API_KEY;
  if (!key) throw new UsageError('deploy needs an API key: --key sk_... or PULSE_API_KEY');
  const body = { source: readFileSync(file, 'utf8'), file: basename(file), settings };
  let response: Response;
  try {
    response = await fetch(`${url}/v1/campaigns/deploy`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
  } catch (e) {
    err(`cannot reach ${url}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  const text = await response.text();
  if (!response.ok) {
    err(`deploy failed: HTTP ${response.status}\n${text}`);
    return 1;
  }
  try {
    const { campaign_id, version } = JSON.parse(text) as { campaign_id?: string; version?: number };
    out(`deployed ${file}: campaign_id ${campaign_id}, version ${version}`);
  } catch {
    out(text);
  }
  return 0;
}

async function simulateCommand(args: Args, out: Print, err: Print): Promise<number> {
  const file = one(args, 'simulate');
  const scriptFile = args.flags.get('events')?.[0];
  if (!scriptFile) throw new UsageError('simulate needs --events <script.json|yaml>');
  const plan = compileOrReport(file, parseSettings(args.flags.get('settings') ?? []), err);
  if (!plan) return 1;
  // Loaded on demand (literal specifiers, visible to the layer check): the Temporal SDK is heavy and
  // only `simulate` needs it.
  const [engine, scripts] = await Promise.all([
    import('../engine/simulate.ts'),
    import('../engine/simulation/script.ts'),
  ]);
  let script: Awaited<ReturnType<typeof scripts.loadSimulationScript>>;
  try {
    script = await scripts.loadSimulationScript(scriptFile);
  } catch (e) {
    err(e instanceof Error ? e.message : String(e));
    return 1;
  }
  await engine.simulate(plan, script, { print: out });
  return 0;
}

function one(args: Args, command: string): string {
  const file = args.positional[1];
  if (!file || args.positional.length > 2) throw new UsageError(`${command} takes exactly one file`);
  return file;
}

/** Runs the CLI; returns the exit code. `out`/`err` default to the console. */
export async function main(
  argv: readonly string[],
  out: Print = (t) => console.log(t),
  err: Print = (t) => console.error(t),
): Promise<number> {
  const args = parseArgs(argv);
  try {
    switch (args.positional[0]) {
      case 'validate':
        return await validateCommand(args.positional.slice(1), out, err);
      case 'plan':
        return await planCommand(args, out, err);
      case 'deploy':
        return await deployCommand(args, out, err);
      case 'simulate':
        return await simulateCommand(args, out, err);
      case undefined:
      case 'help':
        out(USAGE);
        return args.positional[0] === 'help' ? 0 : 2;
      default:
        throw new UsageError(`unknown command "${args.positional[0]}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${e.message}\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  process.exitCode = await main(process.argv.slice(2));
}
