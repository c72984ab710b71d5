/**
 * `pulse`: the command line of Pulse (`npx pulse --help`). The commands live in app/cli/; this file is
 * the entry point (`npm run pulse`, bin/pulse.mjs) and the one place the CLI reads the environment.
 */
import { resolve } from 'node:path';
import type { CliIo } from './cli/io.ts';
import { runCli } from './cli/program.ts';

export { runCli } from './cli/program.ts';

/** Runs the CLI; returns the exit code. Output goes to the console unless `io` says otherwise. */
export function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  return runCli(argv, {
    out: io.out ?? ((t) => console.log(t)),
    err: io.err ?? ((t) => console.error(t)),
    env: io.env ?? process.env,
  });
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  process.exitCode = await main(process.argv.slice(2));
}
