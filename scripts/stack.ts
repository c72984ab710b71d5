import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stackDown, stackStatus, stackUp } from './stack/lifecycle.ts';
import { StackError } from './stack/report.ts';

/**
 * The local stack: `npm run stack -- up|down|status`. Other scripts (tests, demo) import stackUp and
 * get addresses back; everything it writes is under .data/ and .venv/.
 */
export { type StackInfo, type StackOptions, stackDown, stackStatus, stackUp } from './stack/lifecycle.ts';
export { ensureVenv, type VenvInfo } from './stack/python.ts';
export type { ServiceReport } from './stack/report.ts';

const USAGE = 'usage: npm run stack -- up|down|status';

async function main(args: string[]): Promise<number> {
  const command = args[0] ?? 'up';
  switch (command) {
    case 'up':
      await stackUp();
      return 0;
    case 'down':
      await stackDown();
      return 0;
    case 'status': {
      const reports = await stackStatus();
      // Non-zero when a part is down, so scripts can use `npm run stack -- status` as a check.
      return reports.every((r) => r.running) ? 0 : 3;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

function isEntryPoint(): boolean {
  const argv1 = process.argv[1];
  if (!argv1) return false;
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof StackError || err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    },
  );
}
