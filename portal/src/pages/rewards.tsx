import { type FormEvent, useState } from 'react';
import { type ApiProblem, api, must } from '../lib/api.ts';
import { DataTable } from '../lib/data-table.tsx';
import { Link, navigate, useLocation } from '../lib/router.tsx';
import { asProblem, PageHeader, Problem, Show, StatusBadge, useAsync, when } from '../lib/ui.tsx';
import { BudgetBars } from './campaigns.tsx';
import { amount, ReviewCell, type Reward } from './reward-parts.tsx';

// The approval and fraud review queues live in approvals.tsx; the shell imports every reward page here.
export { ApprovalsPage } from './approvals.tsx';

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
        {(page) => (
          <DataTable<Reward>
            caption="Rewards matching the search, newest first"
            testId="reward-results"
            rows={page.data}
            rowKey={(r) => r.id}
            empty="No reward matches."
            columns={[
              {
                key: 'reward',
                header: 'Reward',
                cell: (r) => <Link href={`/rewards/${encodeURIComponent(r.id)}`}>{amount(r)}</Link>,
              },
              { key: 'participant', header: 'Participant', cell: (r) => r.participant_id },
              { key: 'state', header: 'State', cell: (r) => <StatusBadge status={r.state} /> },
              { key: 'campaign', header: 'Campaign', className: 'mono', cell: (r) => r.campaign_id },
              { key: 'updated', header: 'Updated', cell: (r) => when(r.updated_at) },
            ]}
          />
        )}
      </Show>
      <CampaignBudgets />
    </>
  );
}

/** Budget and winner-cap usage of every campaign (the reward service's running totals, all time). */
function CampaignBudgets() {
  const campaigns = useAsync(
    () => must(api().GET('/v1/campaigns', { params: { query: { limit: 100 } } })),
    [],
  );
  return (
    <section className="panel budgets" aria-labelledby="budgets-h">
      <h2 id="budgets-h">Budget and cap usage per campaign</h2>
      <Show value={campaigns} what="the campaigns">
        {(page) => (
          <DataTable
            caption="Each campaign's spend against its budget and winners against its cap"
            compact
            testId="campaign-budgets"
            rows={page.data}
            rowKey={(c) => c.id}
            empty="No campaign deployed yet."
            columns={[
              {
                key: 'campaign',
                header: 'Campaign',
                cell: (c) => (
                  <>
                    {c.title || c.id}
                    <div className="muted mono">{c.id}</div>
                  </>
                ),
              },
              { key: 'status', header: 'Status', cell: (c) => <StatusBadge status={c.status} /> },
              { key: 'usage', header: 'Usage', cell: (c) => <BudgetUsage campaign={c.id} /> },
            ]}
          />
        )}
      </Show>
    </section>
  );
}

function BudgetUsage({ campaign }: { campaign: string }) {
  const budget = useAsync(
    () => must(api().GET('/v1/reward-budgets/{campaignId}', { params: { path: { campaignId: campaign } } })),
    [campaign],
  );
  return (
    <Show value={budget} what="the budget">
      {(b) => <BudgetBars b={b.budget} />}
    </Show>
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
        const review = r.review;
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
