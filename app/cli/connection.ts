import type { Command } from 'commander';

/** `--url` and `--api-key` on a command that calls the API (PULSE_URL / PULSE_API_KEY otherwise). */
export function withConnection(command: Command): Command {
  return command
    .option('--url <url>', 'platform base URL (default PULSE_URL, else http://127.0.0.1:3000)')
    .option('--api-key <key>', 'API key (default PULSE_API_KEY)');
}

/** `--database-url` on a command that works on the database directly. */
export function withDatabase(command: Command): Command {
  return command.option(
    '--database-url <url>',
    'Postgres URL (default PULSE_DATABASE_URL, else DATABASE_URL, else postgres://postgres@127.0.0.1:5432/pulse)',
  );
}
