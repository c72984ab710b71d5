import { SERVICE_NAMES, type ServiceName } from '../services/app.ts';
import { loadConfig } from '../services/platform/config.ts';
import { startRuntime } from './runtime.ts';

/**
 * `npm start` runs all eight services, the drainer, the worker and the router in one process;
 * `npm start -- --only referral,reward` runs just those services (no worker unless --worker).
 */
function parseArgs(argv: string[]): { only?: ServiceName[]; worker?: boolean } {
  const i = argv.indexOf('--only');
  const worker = argv.includes('--worker') ? true : undefined;
  if (i < 0) return worker === undefined ? {} : { worker };
  const names = (argv[i + 1] ?? '').split(',').filter(Boolean);
  const unknown = names.filter((n) => !(SERVICE_NAMES as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length) {
    console.error(
      `--only takes a comma-separated list of: ${SERVICE_NAMES.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`,
    );
    process.exit(2);
  }
  return { only: names as ServiceName[], ...(worker === undefined ? {} : { worker }) };
}

const config = loadConfig();
const runtime = await startRuntime({ config, ...parseArgs(process.argv.slice(2)) });
console.log(
  `pulse: listening on ${runtime.url} (${(runtime.platform.apps ? Object.keys(runtime.platform.apps) : []).join(', ')})`,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`pulse: ${signal}, stopping`);
    runtime.stop().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
