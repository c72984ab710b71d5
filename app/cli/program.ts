import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { addClientCommands, addDatabaseCommands, addKeyCommands } from './admin-commands.ts';
import { addCampaignCommands, addLocalCommands } from './campaign-commands.ts';
import { CliError, type CliIo } from './io.ts';
import { addJourneyCommands } from './journey-commands.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * The `pulse` program: noun-verb commands, strict parsing (an unknown flag, a missing or extra argument
 * is a usage error, exit 2), `--help` everywhere, data on stdout and progress on stderr.
 */
export function createProgram(io: CliIo): Command {
  const write = (to: (t: string) => void) => (text: string) => to(text.replace(/\n$/, ''));
  const program = new Command('pulse')
    .description('Pulse: referral and growth campaigns as YAML journeys')
    .version(VERSION, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: write(io.out), writeErr: write(io.err) })
    .showHelpAfterError(true)
    .showSuggestionAfterError(true)
    .allowExcessArguments(false)
    .allowUnknownOption(false);
  addLocalCommands(program, io);
  addCampaignCommands(program, io);
  addJourneyCommands(program, io);
  addDatabaseCommands(program, io);
  addClientCommands(program, io);
  addKeyCommands(program, io);
  return program;
}

/** Runs the CLI on `argv` (without node and the script); returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, successfully; every other parse error is misuse.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      return 2;
    }
    if (err instanceof CliError) {
      if (err.message) io.err(err.code === 'USAGE' ? `error: ${err.message}` : err.message);
      return err.exitCode;
    }
    io.err(`pulse: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
}
