import { type FormEvent, useState } from 'react';
import type { FraudDecision } from '../../../contract/generated/api.generated.ts';
import { type ApiProblem, api, must } from '../lib/api.ts';
import { DataTable } from '../lib/data-table.tsx';
import { Link, navigate, useLocation } from '../lib/router.tsx';
import { asProblem, Problem, Show, StatusBadge, useAsync, when } from '../lib/ui.tsx';
import {
  amount,
  decideEach,
  type Outcome,
  Outcomes,
  ReasonDialog,
  ReviewCell,
  type Reward,
} from './reward-parts.tsx';

type Pending = { ids: string[]; decision: 'approve' | 'reject' } | null;

/**
 * The fraud review queue (docs/fraud.md): rewards the fraud engine held, with the score and every rule
 * that fired; approve or reject with a reason, one by one or the selected ones together. Each decision
 * is recorded (the decisions tab) and a confirmed fraud counts toward the referrer's suspension.
 */
export function FraudQueue() {
  const queue = useAsync(
    () => must(api().GET('/v1/fraud-reviews', { params: { query: { limit: 100 } } })),
    [],
  );
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [pending, setPending] = useState<Pending>(null);
  const [confirmed, setConfirmed] = useState(true);
  const [busy, setBusy] = useState(false);
  const [results, setResults] = useState<Outcome[]>([]);

  const decide = async (ids: string[], decision: 'approve' | 'reject', reason: string) => {
    setBusy(true);
    const out = await decideEach(ids, (rewardId) =>
      decision === 'approve'
        ? must(
            api().POST('/v1/fraud-reviews/{rewardId}/approve', {
              params: { path: { rewardId } },
              body: reason ? { reason } : {},
            }),
          )
        : must(
            api().POST('/v1/fraud-reviews/{rewardId}/reject', {
              params: { path: { rewardId } },
              body: { reason, confirmed_fraud: confirmed },
            }),
          ),
    );
    setResults(out);
    setPicked(new Set());
    setPending(null);
    setConfirmed(true);
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
          onClick={() => setPending({ ids: [...picked], decision: 'approve' })}
        >
          Approve selected
        </button>
        <button
          type="button"
          className="danger"
          disabled={picked.size === 0 || busy}
          onClick={() => setPending({ ids: [...picked], decision: 'reject' })}
        >
          Reject selected
        </button>
      </div>
      <Outcomes results={results} />
      <div className="queue">
        <Show value={queue} what="the fraud review queue">
          {(page) => (
            <DataTable<Reward>
              caption="Rewards held by the fraud engine, oldest first"
              testId="fraud-queue"
              rows={page.data}
              rowKey={(r) => r.id}
              empty="No reward is held for a fraud review."
              selection={{ picked, onChange: setPicked, label: (id) => `Select reward ${id}` }}
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
                {
                  key: 'participant',
                  header: 'Participant',
                  className: 'mono',
                  cell: (r) => r.participant_id,
                },
                { key: 'campaign', header: 'Campaign', className: 'mono', cell: (r) => r.campaign_id },
                {
                  key: 'review',
                  header: 'Score and reasons',
                  cell: (r) =>
                    r.review ? (
                      <ReviewCell review={r.review} open />
                    ) : (
                      <span className="muted">not scored</span>
                    ),
                },
                { key: 'held', header: 'Held since', cell: (r) => when(r.created_at) },
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
                        aria-label={`Approve ${r.id}`}
                        onClick={() => setPending({ ids: [r.id], decision: 'approve' })}
                      >
                        Approve
                      </button>{' '}
                      <button
                        type="button"
                        className="danger small"
                        disabled={busy}
                        aria-label={`Reject ${r.id}`}
                        onClick={() => setPending({ ids: [r.id], decision: 'reject' })}
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
        open={pending !== null}
        title={`${pending?.decision === 'reject' ? 'Reject' : 'Approve'} ${pending?.ids.length ?? 0} held reward(s)`}
        required={pending?.decision === 'reject'}
        busy={busy}
        danger={pending?.decision === 'reject'}
        confirmLabel={pending?.decision === 'reject' ? 'Reject' : 'Approve'}
        onCancel={() => setPending(null)}
        onConfirm={(reason) => pending && void decide(pending.ids, pending.decision, reason)}
      >
        {pending?.decision === 'reject' ? (
          <label className="check">
            <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)} />
            Confirmed fraud (counts toward the referrer's suspension)
          </label>
        ) : null}
      </ReasonDialog>
    </>
  );
}

/** Every decision on a scored reward, newest first, optionally for one participant. */
export function FraudDecisions() {
  const { query } = useLocation();
  const participant = query.get('participant') ?? '';
  const [draft, setDraft] = useState(participant);
  const list = useAsync(
    () =>
      must(
        api().GET('/v1/fraud-decisions', {
          params: { query: participant ? { participant_id: participant } : {} },
        }),
      ),
    [participant],
  );
  const search = (e: FormEvent) => {
    e.preventDefault();
    const p = new URLSearchParams({ tab: 'decisions', ...(draft ? { participant: draft } : {}) });
    navigate(`/approvals?${p}`, true);
  };
  return (
    <>
      <form className="toolbar" aria-label="Filter decisions" onSubmit={search}>
        <label>
          Participant
          <input value={draft} onChange={(e) => setDraft(e.target.value)} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <Show value={list} what="the decision record">
        {(page) => (
          <DataTable<FraudDecision>
            caption="Fraud decisions, newest first"
            testId="fraud-decisions"
            rows={page.data}
            rowKey={(d) => `${d.reward_id}:${d.at}`}
            empty="No decision recorded yet."
            columns={[
              { key: 'at', header: 'When', className: 'nowrap', cell: (d) => when(d.at) },
              {
                key: 'decision',
                header: 'Decision',
                cell: (d) => (
                  <>
                    <StatusBadge status={d.decision} />
                    {d.confirmed_fraud ? <div className="muted small-text">confirmed fraud</div> : null}
                  </>
                ),
              },
              {
                key: 'reward',
                header: 'Reward and participant',
                cell: (d) => (
                  <>
                    <Link className="mono" href={`/rewards/${encodeURIComponent(d.reward_id)}`}>
                      {d.reward_id}
                    </Link>
                    <div className="mono">{d.participant_id}</div>
                  </>
                ),
              },
              { key: 'referrer', header: 'Referrer', className: 'mono', cell: (d) => d.referrer_id ?? '—' },
              { key: 'score', header: 'Score', className: 'num', cell: (d) => d.score ?? '—' },
              { key: 'reason', header: 'Reason', cell: (d) => d.reason ?? '—' },
              { key: 'actor', header: 'By', cell: (d) => <span className="actor">{d.actor}</span> },
            ]}
          />
        )}
      </Show>
    </>
  );
}

/** Referrers suspended for confirmed frauds; lifting one lets them earn again (fraud.configure). */
export function FraudSuspensions() {
  const list = useAsync(() => must(api().GET('/v1/fraud-suspensions')), []);
  const [lifting, setLifting] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const lift = async (participantId: string, reason: string) => {
    setBusy(true);
    setProblem(null);
    try {
      await must(
        api().POST('/v1/fraud-suspensions/{participantId}/lift', {
          params: { path: { participantId } },
          body: { reason },
        }),
      );
      setLifting(null);
      list.reload();
    } catch (e) {
      setProblem(asProblem(e));
      setLifting(null);
    }
    setBusy(false);
  };
  return (
    <>
      {problem ? <Problem problem={problem} /> : null}
      <Show value={list} what="the suspensions">
        {(page) => (
          <DataTable
            caption="Referrers suspended for fraud"
            testId="fraud-suspensions"
            rows={page.data}
            rowKey={(s) => s.participant_id}
            empty="No referrer is suspended."
            columns={[
              { key: 'who', header: 'Referrer', className: 'mono', cell: (s) => s.participant_id },
              {
                key: 'frauds',
                header: 'Confirmed frauds',
                className: 'num',
                cell: (s) => s.confirmed_frauds,
              },
              { key: 'reason', header: 'Reason', cell: (s) => s.reason },
              {
                key: 'since',
                header: 'Suspended',
                cell: (s) => `${when(s.suspended_at)} by ${s.suspended_by}`,
              },
              {
                key: 'lift',
                header: 'Lift',
                className: 'nowrap',
                cell: (s) => (
                  <button
                    type="button"
                    className="small"
                    disabled={busy}
                    aria-label={`Lift the suspension of ${s.participant_id}`}
                    onClick={() => setLifting(s.participant_id)}
                  >
                    Lift
                  </button>
                ),
              },
            ]}
          />
        )}
      </Show>
      <ReasonDialog
        open={lifting !== null}
        title={`Lift the suspension of ${lifting ?? ''}`}
        required
        busy={busy}
        confirmLabel="Lift suspension"
        onCancel={() => setLifting(null)}
        onConfirm={(reason) => lifting && void lift(lifting, reason)}
      />
    </>
  );
}
