import { TestWorkflowEnvironment } from '@temporalio/testing';

export { createTimeSkippingEnv, testServerPath } from '../../engine/simulation/time-skipping.ts';

/** Environment connected to the real dev server the stack started (for end-to-end tests). */
export function connectDevServer(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createFromExistingServer({
    address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: 'default',
  });
}
