import { errFields, logger } from '../platform/log.ts';

/**
 * A background pass on an interval, the first at start: passes never overlap (a tick during a pass is
 * skipped), a failed pass is logged and the next tick tries again, and `stop()` waits for the pass in
 * flight. The rollup job and the id check job run on it.
 */
export function startPeriodicJob(
  component: string,
  intervalMs: number,
  pass: () => Promise<void>,
): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = pass()
      .catch((err: unknown) =>
        logger.warn({ ...errFields(err), component }, `${component} pass failed; retrying next tick`),
      )
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
