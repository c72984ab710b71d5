import { useState } from 'react';
import { api, must } from '../lib/api.ts';
import { DataTable } from '../lib/data-table.tsx';
import { Link, useLocation } from '../lib/router.tsx';
import { PageHeader, Show, useAsync, when } from '../lib/ui.tsx';
import { FraudDecisions, FraudQueue, FraudSuspensions } from './fraud.tsx';
import { JourneyTasks } from './journey-inbox.tsx';
import {
  amount,
  decideEach,
  type Outcome,
  Outcomes,
  ReasonDialog,
  ReviewCell,
  type Reward,
} from './reward-parts.tsx';
import './rewards.css';

const TABS = [
  ['queue', 'Approval queue'],
  ['fraud', 'Fraud review'],
  ['decisions', 'Decisions'],
  ['suspensions', 'Suspensions'],
  ['journeys', 'Journey tasks'],
] as const;

/**
 * What waits on a person: rewards (the approval queue, the fraud review queue, its decisions and
 * suspensions) and journeys' approval steps.
 */
export function ApprovalsPage() {
  const { query } = useLocation();
  const tab = TABS.find(([t]) => t === query.get('tab'))?.[0] ?? 'queue';
  return (
    <>
      <PageHeader title="Approvals" />
      <nav className="tabs" aria-label="Approvals">
        {TABS.map(([t, label]) => (
          <Link
            key={t}
            href={t === 'queue' ? '/approvals' : `/approvals?tab=${t}`}
            aria-current={tab === t ? 'page' : undefined}
          >
            {label}
          </Link>
        ))}
      </nav>
      {tab === 'queue' ? <ApprovalQueue /> : null}
      {tab === 'fraud' ? <FraudQueue /> : null}
      {tab === 'decisions' ? <FraudDecisions /> : null}
      {tab === 'suspensions' ? <FraudSuspensions /> : null}
      {tab === 'journeys' ? <JourneyTasks /> : null}
    </>
  );
}

/** Every reward waiting for approval (a campaign's `approval` mode or a fraud hold), oldest first. */
function ApprovalQueue() {
  const queue = useAsync(
    () => must(api().GET('/v1/reward-approvals', { params: { query: { limit: 100 } } })),
    [],
  );
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [rejecting, setRejecting] = useState<string[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [results, setResults] = useState<Outcome[]>([]);

  const decide = async (ids: string[], decision: 'approve' | 'reject', reason = '') => {
    setBusy(true);
    const out = await decideEach(ids, (rewardId) =>
      decision === 'approve'
        ? must(api().POST('/v1/reward-approvals/{rewardId}/approve', { params: { path: { rewardId } } }))
        : must(
            api().POST('/v1/reward-approvals/{rewardId}/reject', {
              params: { path: { rewardId } },
              body: { reason },
            }),
          ),
    );
    setResults(out);
    setPicked(new Set());
    setRejecting(null);
    setBusy(false);
    queue.reload();
  };

  return (
    <>
      <div className="bulk-bar">
        <span className="muted">{picked.size} selected</span>
        <button
          type="button"
          className="primary"
          disabled={picked.size === 0 || busy}
          onClick={() => void decide([...picked], 'approve')}
        >
          Approve selected ({picked.size})
        </button>
        <button
          type="button"
          className="danger"
          disabled={picked.size === 0 || busy}
          onClick={() => setRejecting([...picked])}
        >
          Reject selected
        </button>
      </div>
      <Outcomes results={results} />
      <div className="queue">
        <Show value={queue} what="the approval queue">
          {(page) => (
            <DataTable<Reward>
              caption="Rewards waiting for approval, oldest first"
              testId="approval-queue"
              rows={page.data}
              rowKey={(r) => r.id}
              empty="No reward is waiting for approval."
              selection={{ picked, onChange: setPicked }}
              columns={[
                {
                  key: 'reward',
                  header: 'Reward',
                  cell: (r) => (
                    <>
                      <Link href={`/rewards/${encodeURIComponent(r.id)}`}>{amount(r)}</Link>
                      <div className="muted">
                        {r.rule} · {r.side}
                      </div>
                    </>
                  ),
                },
                { key: 'participant', header: 'Participant', cell: (r) => r.participant_id },
                { key: 'campaign', header: 'Campaign', className: 'mono', cell: (r) => r.campaign_id },
                {
                  key: 'review',
                  header: 'Fraud review',
                  cell: (r) =>
                    r.review ? <ReviewCell review={r.review} /> : <span className="muted">not scored</span>,
                },
                { key: 'created', header: 'Created', cell: (r) => when(r.created_at) },
                {
                  key: 'decide',
                  header: 'Decide',
                  className: 'nowrap',
                  cell: (r) => (
                    <>
                      <button
                        type="button"
                        className="primary small"
                        disabled={busy}
                        onClick={() => void decide([r.id], 'approve')}
                      >
                        Approve
                      </button>{' '}
                      <button
                        type="button"
                        className="danger small"
                        disabled={busy}
                        onClick={() => setRejecting([r.id])}
                      >
                        Reject
                      </button>
                    </>
                  ),
                },
              ]}
            />
          )}
        </Show>
      </div>
      <ReasonDialog
        open={rejecting !== null}
        title={`Reject ${rejecting?.length ?? 0} reward(s)`}
        required
        busy={busy}
        danger
        confirmLabel="Reject"
        onCancel={() => setRejecting(null)}
        onConfirm={(reason) => rejecting && void decide(rejecting, 'reject', reason)}
      />
    </>
  );
}
