import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ensureNodeModules } from './bootstrap.ts';
import { REPO_ROOT } from './stack/paths.ts';

/**
 * `npm test [-- paths... --node-test-flags...]`: brings the stack up, then runs the test files one
 * file at a time (they share Temporal, ClickHouse and Postgres) with node's test runner.
 */
const TEST_DIRS = [
  'contract',
  'dsl',
  'engine',
  'activities',
  'services',
  'app',
  'sdk',
  'portal',
  'schemas',
  'scripts',
  'test',
];
const SKIP_DIRS = new Set(['node_modules', '.data', '.venv', 'dist', '.git']);
const TAP_FILE = join(REPO_ROOT, '.data', 'test-results.tap');

function findTests(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) findTests(path, out);
    } else if (entry.isFile() && entry.name.endsWith('.test.ts')) {
      out.push(path);
    }
  }
  return out;
}

/** Paths are taken relative to where `npm test` was typed (INIT_CWD), else to the repo root. */
function resolveArg(arg: string): string {
  for (const base of [process.env.INIT_CWD, process.cwd(), REPO_ROOT]) {
    if (!base) continue;
    const path = resolve(base, arg);
    if (existsSync(path)) return path;
  }
  throw new Error(`test: no such file or directory: ${arg}`);
}

function selectTests(args: string[]): string[] {
  if (args.length === 0) {
    return TEST_DIRS.map((d) => join(REPO_ROOT, d))
      .filter((d) => existsSync(d))
      .flatMap((d) => findTests(d));
  }
  return args.flatMap((arg) => {
    const path = resolveArg(arg);
    return statSync(path).isDirectory() ? findTests(path) : [path];
  });
}

/** Counts from the TAP copy of the results, for a closing line any CI can read. */
function summary(): string | undefined {
  if (!existsSync(TAP_FILE)) return undefined;
  const tap = readFileSync(TAP_FILE, 'utf8');
  const count = (key: string): number => Number(tap.match(new RegExp(`^# ${key} (\\d+)$`, 'm'))?.[1] ?? 0);
  const skipped = count('skipped') + count('todo');
  return `${count('pass')} passed, ${count('fail') + count('cancelled')} failed${skipped ? `, ${skipped} skipped` : ''}`;
}

/** The SDK's browser tests drive Debian's Chromium (never a downloaded browser); install it once. */
async function ensureChromium(): Promise<void> {
  if (existsSync('/usr/bin/chromium')) return;
  const { aptInstall } = await import('./stack/apt.ts');
  const log = join(REPO_ROOT, '.data', 'logs', 'chromium-install.log');
  console.log(`test: installing Debian chromium for the browser tests (log ${relative(REPO_ROOT, log)})`);
  await aptInstall('chromium', ['chromium'], log);
}

async function main(argv: string[]): Promise<number> {
  const began = performance.now();
  ensureNodeModules();
  // Imported after bootstrap: the stack needs packages that a fresh clone does not have yet.
  const { stackUp } = await import('./stack.ts');
  const flags = argv.filter((a) => a.startsWith('-'));
  const files = selectTests(argv.filter((a) => !a.startsWith('-'))).sort();
  if (files.length === 0) {
    console.error(`test: no *.test.ts files found${argv.length ? ` under ${argv.join(' ')}` : ''}`);
    return 1;
  }
  const info = await stackUp();
  await ensureChromium();
  console.log(`test: running ${files.length} file(s)`);
  rmSync(TAP_FILE, { force: true });
  const args = [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=1',
    '--test-timeout=600000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${TAP_FILE}`,
    ...flags,
    ...files.map((f) => relative(REPO_ROOT, f)),
  ];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: info.temporalAddress,
      CLICKHOUSE_URL: info.clickhouseUrl,
      DATABASE_URL: info.databaseUrl,
      PULSE_TEMPORAL_TEST_SERVER: info.testServerPath,
      PULSE_MOTO_SERVER: info.motoServerPath,
      // The services' JSON logs (one line per request) would bury the test report; tests that check
      // logs capture them (services/platform/log.ts captureLogs). PULSE_LOG_LEVEL=info shows them.
      PULSE_LOG_LEVEL: process.env.PULSE_LOG_LEVEL ?? 'warn',
    },
  });
  // CI stops a run with SIGTERM: pass it on so test files can clean up. Ctrl-C already reaches the
  // child (same process group); this process only keeps waiting for the child's summary.
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  process.on('SIGINT', () => undefined);
  const code = await new Promise<number>((done) => {
    child.on('exit', (c, sig) => done(c ?? (sig ? 128 : 1)));
    child.on('error', () => done(1));
  });
  console.log(`test: wall time ${((performance.now() - began) / 1000).toFixed(1)}s`);
  // Last, as the plain `N passed, N failed` closing line that any CI log reader understands.
  const line = summary();
  if (line) console.log(`tests: ${line}`);
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
