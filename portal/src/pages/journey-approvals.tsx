import { useState } from 'react';
import type { ApprovalTask } from '../../../contract/generated/api.generated.ts';
import { type ApiProblem, api, must } from '../lib/api.ts';
import { type Column, DataTable } from '../lib/data-table.tsx';
import { asProblem, Problem, Show, StatusBadge, useAsync, when } from '../lib/ui.tsx';

/** One open task: what it asks, who may decide, until when, and the decision with an optional reason. */
function OpenTask({
  task,
  decide,
}: {
  task: ApprovalTask;
  decide(task: string, decision: 'approve' | 'reject', reason: string): Promise<void>;
}) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState<'approve' | 'reject' | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const id = `reason-${task.task.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const send = async (decision: 'approve' | 'reject') => {
    setBusy(decision);
    setProblem(null);
    try {
      await decide(task.task, decision, reason.trim());
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(null);
    }
  };
  return (
    <article className="approval-task" data-testid="open-approval">
      <h3>
        {task.title} <StatusBadge status={task.state} />
      </h3>
      <p className="muted">
        Step <code>{task.task}</code> · decided by {task.roles.join(' or ')} (or higher)
        {task.escalated ? ' · escalated' : ''} · open since {when(task.opened_at)} · until{' '}
        {when(task.deadline)}
      </p>
      {task.details !== null && task.details !== undefined ? (
        <pre className="code">{JSON.stringify(task.details, null, 2)}</pre>
      ) : null}
      <div className="toolbar">
        <label htmlFor={id}>
          Reason (optional)
          <input
            id={id}
            value={reason}
            maxLength={1000}
            onChange={(e) => setReason(e.target.value)}
            placeholder="Why, for the record"
          />
        </label>
        <button type="button" className="primary" disabled={busy !== null} onClick={() => send('approve')}>
          {busy === 'approve' ? 'Approving…' : 'Approve'}
        </button>
        <button type="button" className="danger" disabled={busy !== null} onClick={() => send('reject')}>
          {busy === 'reject' ? 'Rejecting…' : 'Reject'}
        </button>
      </div>
      {problem ? <Problem problem={problem} /> : null}
    </article>
  );
}

const DECIDED: Column<ApprovalTask>[] = [
  { key: 'title', header: 'Task', cell: (t) => t.title },
  { key: 'step', header: 'Step', cell: (t) => <code>{t.task}</code> },
  { key: 'state', header: 'Decision', cell: (t) => <StatusBadge status={t.state} /> },
  { key: 'by', header: 'By', cell: (t) => t.decision?.decided_by ?? '—', className: 'mono' },
  { key: 'reason', header: 'Reason', cell: (t) => t.decision?.reason ?? '—' },
  { key: 'at', header: 'When', cell: (t) => when(t.decision?.decided_at), className: 'nowrap' },
];

/** The journey's approval tasks: open ones with approve/reject, decided ones in a table. */
export function JourneyApprovals({
  campaign,
  journeyKey,
  onDecided,
}: {
  campaign: string;
  journeyKey: string;
  /** After a decision: the journey moved on, so its status and trace are worth reloading. */
  onDecided(): void;
}) {
  const path = { campaignId: campaign, journeyKey };
  const approvals = useAsync(
    () => must(api().GET('/v1/journeys/{campaignId}/{journeyKey}/approvals', { params: { path } })),
    [campaign, journeyKey],
  );
  const decide = async (task: string, decision: 'approve' | 'reject', reason: string) => {
    await must(
      api().POST('/v1/journeys/{campaignId}/{journeyKey}/approvals', {
        params: { path },
        body: { task, decision, ...(reason ? { reason } : {}) },
      }),
    );
    approvals.reload();
    onDecided();
  };
  return (
    <Show value={approvals} what="approvals">
      {(a) => {
        const open = a.data.filter((t) => t.state === 'pending');
        const decided = a.data.filter((t) => t.state !== 'pending');
        if (a.data.length === 0)
          return <p className="state empty">No approval step has opened a task on this journey.</p>;
        return (
          <>
            {open.length === 0 ? <p className="muted">No task waits for a decision.</p> : null}
            {open.map((t) => (
              <OpenTask key={t.task} task={t} decide={decide} />
            ))}
            {decided.length > 0 ? (
              <DataTable
                caption="Decided approval tasks"
                columns={DECIDED}
                rows={decided}
                rowKey={(t) => t.task}
                empty="No decided task."
                compact
              />
            ) : null}
          </>
        );
      }}
    </Show>
  );
}
