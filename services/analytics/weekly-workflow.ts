/**
 * The weekly report workflow (its own bundle and task queue): one activity that e-mails the week's
 * report to every subscribed member. Started every Monday by the deployment's `analytics-weekly-report:<task queue>`
 * Temporal Schedule (weekly-schedule.ts); the firing time is the workflow's start, so a run caught up late still
 * reports the week that ended before it was due.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';

export interface WeeklyReportActivities {
  sendWeeklyReports(input: { now: string }): Promise<{ week: string; sent: number; skipped: number }>;
}

const { sendWeeklyReports } = proxyActivities<WeeklyReportActivities>({
  startToCloseTimeout: '30 minutes',
  retry: {
    initialInterval: '30s',
    backoffCoefficient: 2,
    maximumInterval: '30 minutes',
    maximumAttempts: 12,
  },
});

export async function weeklyAnalyticsReportWorkflow(input: { now?: string } = {}) {
  return sendWeeklyReports({ now: input.now ?? new Date(workflowInfo().startTime).toISOString() });
}
