import { type FormEvent, useState } from 'react';
import { type ApiProblem, api, must } from '../lib/api.ts';
import { Link, navigate, useLocation } from '../lib/router.tsx';
import {
  asProblem,
  Dialog,
  Empty,
  PageHeader,
  Problem,
  Show,
  StatusBadge,
  useAsync,
  when,
} from '../lib/ui.tsx';

interface ReviewReason {
  rule: string;
  signal: string;
  weight: number;
  severity: string;
  detail?: string;
}
/** The fraud review a held reward carries when the platform scores rewards (absent otherwise). */
interface Review {
  score: number;
  decision: 'approve' | 'review' | 'reject';
  reasons: ReviewReason[];
}
const reviewOf = (r: object): Review | null => (r as { review?: Review | null }).review ?? null;

const amount = (r: { amount: number | null; currency: string | null; label: string }) =>
  r.amount === null ? r.label : `${r.amount.toLocaleString()} ${r.currency ?? ''}`;

/** The approval queue: pending rewards oldest first, decided one by one or in bulk. */
export function ApprovalsPage() {
  const queue = useAsync(
    () => must(api().GET('/v1/reward-approvals', { params: { query: { limit: 100 } } })),
    [],
  );
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [rejecting, setRejecting] = useState<string[] | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [results, setResults] = useState<{ id: string; ok: boolean; problem?: ApiProblem }[]>([]);

  const decide = async (ids: string[], decision: 'approve' | 'reject') => {
    setBusy(true);
    const out: typeof results = [];
    for (const rewardId of ids) {
      try {
        if (decision === 'approve')
          await must(
            api().POST('/v1/reward-approvals/{rewardId}/approve', { params: { path: { rewardId } } }),
          );
        else
          await must(
            api().POST('/v1/reward-approvals/{rewardId}/reject', {
              params: { path: { rewardId } },
              body: { reason },
            }),
          );
        out.push({ id: rewardId, ok: true });
      } catch (e) {
        out.push({ id: rewardId, ok: false, problem: asProblem(e) });
      }
    }
    setResults(out);
    setPicked(new Set());
    setRejecting(null);
    setReason('');
    setBusy(false);
    queue.reload();
  };

  const toggle = (id: string) =>
    setPicked((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  return (
    <>
      <PageHeader title="Approvals">
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
      </PageHeader>
      {results.length ? (
        <div className="state" role="status">
          {results.filter((r) => r.ok).length} decided
          {results.some((r) => !r.ok)
            ? `, ${results.filter((r) => !r.ok).length} failed: ${results
                .filter((r) => !r.ok)
                .map((r) => `${r.id} (${r.problem?.message})`)
                .join('; ')}`
            : ''}
        </div>
      ) : null}
      <Show value={queue} what="the approval queue">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No reward is waiting for approval.</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">
                      <input
                        type="checkbox"
                        aria-label="Select all"
                        checked={picked.size === page.data.length}
                        onChange={(e) =>
                          setPicked(e.target.checked ? new Set(page.data.map((r) => r.id)) : new Set())
                        }
                      />
                    </th>
                    <th scope="col">Reward</th>
                    <th scope="col">Participant</th>
                    <th scope="col">Campaign</th>
                    <th scope="col">Fraud review</th>
                    <th scope="col">Created</th>
                    <th scope="col">Decide</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((r) => {
                    const review = reviewOf(r);
                    return (
                      <tr key={r.id}>
                        <td>
                          <input
                            type="checkbox"
                            aria-label={`Select ${r.id}`}
                            checked={picked.has(r.id)}
                            onChange={() => toggle(r.id)}
                          />
                        </td>
                        <td>
                          <Link href={`/rewards/${encodeURIComponent(r.id)}`}>{amount(r)}</Link>
                          <div className="muted">
                            {r.rule} · {r.side}
                          </div>
                        </td>
                        <td>{r.participant_id}</td>
                        <td className="mono">{r.campaign_id}</td>
                        <td>
                          {review ? (
                            <ReviewCell review={review} />
                          ) : (
                            <span className="muted">not scored</span>
                          )}
                        </td>
                        <td>{when(r.created_at)}</td>
                        <td className="nowrap">
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
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
      <Dialog
        open={rejecting !== null}
        title={`Reject ${rejecting?.length ?? 0} reward(s)`}
        onClose={() => setRejecting(null)}
      >
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (rejecting) void decide(rejecting, 'reject');
          }}
        >
          <label htmlFor="reject-reason">Reason (kept in the reward's history)</label>
          <input
            id="reject-reason"
            required
            maxLength={200}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
          />
          <div className="actions">
            <button type="button" onClick={() => setRejecting(null)}>
              Cancel
            </button>
            <button type="submit" className="danger" disabled={busy}>
              Reject
            </button>
          </div>
        </form>
      </Dialog>
    </>
  );
}

function ReviewCell({ review }: { review: Review }) {
  return (
    <details>
      <summary>
        score {review.score} · <StatusBadge status={review.decision} />
      </summary>
      <ul className="reasons">
        {review.reasons.map((r) => (
          <li key={`${r.rule}:${r.signal}`}>
            <strong>{r.rule}</strong> ({r.severity}, +{r.weight}) {r.signal}
            {r.detail ? ` — ${r.detail}` : ''}
          </li>
        ))}
      </ul>
    </details>
  );
}

const STATES = [
  '',
  'EARNED',
  'PENDING',
  'ELIGIBLE',
  'APPROVED',
  'FULFILLED',
  'REDEEMED',
  'REJECTED',
  'EXPIRED',
  'FAILED',
] as const;

/** Reward search by participant, campaign and state. */
export function RewardsPage() {
  const { query } = useLocation();
  const participant = query.get('participant') ?? '';
  const campaign = query.get('campaign') ?? '';
  const state = query.get('state') ?? '';
  const [form, setForm] = useState({ participant, campaign, state });
  const list = useAsync(
    () =>
      must(
        api().GET('/v1/rewards', {
          params: {
            query: {
              limit: 50,
              ...(participant ? { participant_id: participant } : {}),
              ...(campaign ? { campaign_id: campaign } : {}),
              ...(state ? { state: state as Exclude<(typeof STATES)[number], ''> } : {}),
            },
          },
        }),
      ),
    [participant, campaign, state],
  );
  const search = (e: FormEvent) => {
    e.preventDefault();
    const p = new URLSearchParams(Object.entries(form).filter(([, v]) => v));
    navigate(`/rewards${p.size ? `?${p}` : ''}`);
  };
  return (
    <>
      <PageHeader title="Rewards" />
      <form className="toolbar" aria-label="Search rewards" onSubmit={search}>
        <label>
          Participant
          <input
            value={form.participant}
            onChange={(e) => setForm({ ...form, participant: e.target.value })}
          />
        </label>
        <label>
          Campaign
          <input value={form.campaign} onChange={(e) => setForm({ ...form, campaign: e.target.value })} />
        </label>
        <label>
          State
          <select value={form.state} onChange={(e) => setForm({ ...form, state: e.target.value })}>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s || 'any'}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      <Show value={list} what="rewards">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No reward matches.</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Reward</th>
                    <th scope="col">Participant</th>
                    <th scope="col">State</th>
                    <th scope="col">Campaign</th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((r) => (
                    <tr key={r.id}>
                      <td>
                        <Link href={`/rewards/${encodeURIComponent(r.id)}`}>{amount(r)}</Link>
                      </td>
                      <td>{r.participant_id}</td>
                      <td>
                        <StatusBadge status={r.state} />
                      </td>
                      <td className="mono">{r.campaign_id}</td>
                      <td>{when(r.updated_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
    </>
  );
}

/** One reward with its state history. */
export function RewardPage({ id }: { id: string }) {
  const detail = useAsync(
    () => must(api().GET('/v1/rewards/{rewardId}', { params: { path: { rewardId: id } } })),
    [id],
  );
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  return (
    <Show value={detail} what="the reward">
      {({ reward: r, transitions }) => {
        const review = reviewOf(r);
        return (
          <>
            <PageHeader title={`Reward ${amount(r)}`} />
            <dl className="facts">
              <dt>State</dt>
              <dd>
                <StatusBadge status={r.state} /> {r.reason ?? ''}
              </dd>
              <dt>Participant</dt>
              <dd>{r.participant_id}</dd>
              <dt>Campaign</dt>
              <dd>
                <Link href={`/campaigns/${encodeURIComponent(r.campaign_id)}`}>{r.campaign_id}</Link> v
                {r.version}
              </dd>
              <dt>Rule</dt>
              <dd>
                {r.rule} ({r.side}, {r.fulfilment_mode})
              </dd>
              <dt>Expires</dt>
              <dd>{when(r.expires_at)}</dd>
            </dl>
            {review ? (
              <section className="panel">
                <h2>Fraud review</h2>
                <ReviewCell review={review} />
              </section>
            ) : null}
            {problem ? <Problem problem={problem} /> : null}
            <section className="panel" aria-labelledby="history-h">
              <h2 id="history-h">State history</h2>
              <ol className="timeline">
                {transitions.map((t) => (
                  <li key={`${t.at}:${t.to}`}>
                    <time>{when(t.at)}</time> {t.from ?? '∅'} → <StatusBadge status={t.to} /> by {t.actor}
                    {t.reason ? ` — ${t.reason}` : ''}
                  </li>
                ))}
              </ol>
            </section>
            {r.state === 'PENDING' && r.fulfilment_mode === 'approval' ? (
              <button
                type="button"
                className="primary"
                onClick={async () => {
                  try {
                    await must(
                      api().POST('/v1/reward-approvals/{rewardId}/approve', {
                        params: { path: { rewardId: id } },
                      }),
                    );
                    detail.reload();
                  } catch (e) {
                    setProblem(asProblem(e));
                  }
                }}
              >
                Approve
              </button>
            ) : null}
          </>
        );
      }}
    </Show>
  );
}
