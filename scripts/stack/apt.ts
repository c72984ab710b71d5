import { runLogged } from './command.ts';
import { StackError } from './report.ts';

// apt holds a lock on the package database, so installs from parts set up in parallel (the venv and
// ClickHouse) queue here; `apt-get update` runs once, before the first install of this process.
let queue: Promise<unknown> = Promise.resolve();
let updated = false;

/** Installs Debian packages for a fresh machine; needs root, as CI and dev machines here are. */
export function aptInstall(part: string, packages: string[], logFile: string): Promise<void> {
  const next = queue.then(() => install(part, packages, logFile));
  queue = next.catch(() => undefined);
  return next;
}

async function install(part: string, packages: string[], logFile: string): Promise<void> {
  if (process.getuid?.() !== 0) {
    const list = packages.join(' ');
    throw new StackError(
      part,
      `needs Debian packages it cannot install without root: sudo apt-get install -y ${list}`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!updated) {
    await runLogged({ part, command: 'apt-get', args: ['update'], logFile, env });
    updated = true;
  }
  await runLogged({ part, command: 'apt-get', args: ['install', '-y', ...packages], logFile, env });
}
