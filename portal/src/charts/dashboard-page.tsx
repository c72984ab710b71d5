import { useMemo } from 'react';
import { api, must } from '../lib/api.ts';
import { navigate, useLocation } from '../lib/router.tsx';
import { Empty, PageHeader, Show, useAsync } from '../lib/ui.tsx';
import { BudgetBars } from '../pages/campaigns.tsx';
import { type ChartOption, EChart } from './echart.tsx';

const DAY = 86_400_000;
const RANGES = [
  ['1', 'Last 24 hours'],
  ['7', 'Last 7 days'],
  ['30', 'Last 30 days'],
  ['90', 'Last 90 days'],
] as const;

const PALETTE = ['#3b5bdb', '#1c7ed6', '#0ca678', '#f08c00', '#c2255c', '#7048e8'];

function csv(rows: Record<string, unknown>[]): string {
  const cols = Object.keys(rows[0] ?? {});
  const cell = (v: unknown) => {
    const s = String(v ?? '');
    return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\n');
}

function CsvButton({ rows, name }: { rows: Record<string, unknown>[]; name: string }) {
  if (!rows.length) return null;
  const href = URL.createObjectURL(new Blob([csv(rows)], { type: 'text/csv' }));
  return (
    <a className="button small" href={href} download={`${name}.csv`}>
      Download CSV
    </a>
  );
}

/** Funnel, time series, top referrers and spend vs budget, per client or per campaign. */
export default function DashboardPage() {
  const { query } = useLocation();
  const campaign = query.get('campaign') ?? '';
  const days = query.get('days') ?? '30';
  const set = (k: string, v: string) => {
    const p = new URLSearchParams(location.search);
    if (v) p.set(k, v);
    else p.delete(k);
    navigate(`/dashboard?${p}`, true);
  };
  const campaigns = useAsync(
    () => must(api().GET('/v1/campaigns', { params: { query: { limit: 100 } } })),
    [],
  );
  const range = useMemo(() => {
    const to = new Date();
    // The analytics API takes UTC days (YYYY-MM-DD), both ends included.
    const day = (d: Date) => d.toISOString().slice(0, 10);
    return { from: day(new Date(to.getTime() - (Number(days) - 1) * DAY)), to: day(to) };
  }, [days]);
  const funnel = useAsync(
    () =>
      must(
        api().GET('/v1/analytics/funnel', {
          params: { query: { ...range, ...(campaign ? { campaign_id: campaign } : {}) } },
        }),
      ),
    [campaign, range],
  );
  const leaders = useAsync(
    () =>
      must(
        api().GET('/v1/analytics/leaderboard', {
          params: { query: { limit: 10, ...(campaign ? { campaign_id: campaign } : {}) } },
        }),
      ),
    [campaign],
  );
  const hourly = useAsync(
    () =>
      campaign
        ? must(
            api().GET('/v1/analytics/campaigns/{id}/hourly', {
              params: { path: { id: campaign }, query: { hours: Math.min(Number(days) * 24, 24 * 90) } },
            }),
          )
        : Promise.resolve(null),
    [campaign, days],
  );
  const budget = useAsync(
    () =>
      campaign
        ? must(api().GET('/v1/reward-budgets/{campaignId}', { params: { path: { campaignId: campaign } } }))
        : Promise.resolve(null),
    [campaign],
  );

  return (
    <>
      <PageHeader title="Dashboard" />
      <div className="toolbar">
        <label>
          Campaign
          <select value={campaign} onChange={(e) => set('campaign', e.target.value)}>
            <option value="">All campaigns</option>
            {campaigns.state === 'ready'
              ? campaigns.data.data.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.title || c.id}
                  </option>
                ))
              : null}
          </select>
        </label>
        <label>
          Date range
          <select value={days} onChange={(e) => set('days', e.target.value)}>
            {RANGES.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="grid two">
        <section className="panel" aria-labelledby="funnel-h">
          <h2 id="funnel-h">Funnel</h2>
          <Show value={funnel} what="the funnel">
            {({ funnel: f }) => {
              const steps = [
                ['Shared', f.shared],
                ['Clicked', f.clicked],
                ['Signed up', f.signed_up],
                ['Converted', f.converted],
              ] as const;
              const option: ChartOption = {
                color: PALETTE,
                tooltip: { trigger: 'axis' },
                grid: { left: 90, right: 24, top: 8, bottom: 24 },
                xAxis: { type: 'value', minInterval: 1 },
                yAxis: { type: 'category', inverse: true, data: steps.map((s) => s[0]) },
                series: [
                  { type: 'bar', data: steps.map((s) => s[1]), label: { show: true, position: 'right' } },
                ],
              };
              return (
                <>
                  <EChart
                    option={option}
                    label={steps.map(([l, n]) => `${l} ${n}`).join(', ')}
                    height={220}
                  />
                  <table className="compact" data-testid="funnel-table">
                    <tbody>
                      {steps.map(([l, n], i) => (
                        <tr key={l}>
                          <th scope="row">{l}</th>
                          <td data-step={l}>{n}</td>
                          <td className="muted">
                            {i > 0 && steps[i - 1]?.[1]
                              ? `${Math.round((n / (steps[i - 1]?.[1] ?? 1)) * 100)}% of previous`
                              : ''}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                  <CsvButton rows={steps.map(([step, count]) => ({ step, count }))} name="funnel" />
                </>
              );
            }}
          </Show>
        </section>
        <section className="panel" aria-labelledby="leaders-h">
          <h2 id="leaders-h">Top referrers</h2>
          <Show value={leaders} what="the leaderboard">
            {({ leaders: rows }) =>
              rows.length === 0 ? (
                <Empty>No referral signup yet.</Empty>
              ) : (
                <>
                  <table className="compact">
                    <thead>
                      <tr>
                        <th scope="col">#</th>
                        <th scope="col">Referrer</th>
                        <th scope="col">Signups</th>
                        <th scope="col">Conversions</th>
                        <th scope="col">Value</th>
                      </tr>
                    </thead>
                    <tbody>
                      {rows.map((r, i) => (
                        <tr key={r.referrer_id}>
                          <td>{i + 1}</td>
                          <td>{r.referrer_id}</td>
                          <td>{r.signups}</td>
                          <td>{r.conversions}</td>
                          <td>{r.value.toLocaleString()}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                  <CsvButton rows={rows} name="top-referrers" />
                </>
              )
            }
          </Show>
        </section>
      </div>
      <section className="panel" aria-labelledby="series-h">
        <h2 id="series-h">Events over time</h2>
        {campaign ? (
          <Show value={hourly} what="the time series">
            {(h) => (h ? <Series rows={h.rows} /> : null)}
          </Show>
        ) : (
          <Empty>Pick a campaign to see its events hour by hour.</Empty>
        )}
      </section>
      <section className="panel" aria-labelledby="spend-h">
        <h2 id="spend-h">Rewards and spend vs budget</h2>
        {campaign ? (
          <Show value={budget} what="the budget">
            {(b) => (b ? <BudgetBars b={b.budget} /> : null)}
          </Show>
        ) : (
          <Empty>Pick a campaign to see its spend against its budget.</Empty>
        )}
      </section>
    </>
  );
}

function Series({
  rows,
}: {
  rows: { hour: string; event: string; events: number; participants: number; value: number }[];
}) {
  if (rows.length === 0) return <Empty>No event in this range.</Empty>;
  const hours = [...new Set(rows.map((r) => r.hour))].sort();
  const events = [...new Set(rows.map((r) => r.event))].sort();
  const option: ChartOption = {
    color: PALETTE,
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 48, right: 16, top: 32, bottom: 32 },
    xAxis: {
      type: 'category',
      data: hours.map((h) =>
        new Date(h).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit' }),
      ),
    },
    yAxis: { type: 'value', minInterval: 1 },
    series: events.map((e) => ({
      name: e,
      type: 'line',
      smooth: true,
      showSymbol: false,
      data: hours.map((h) => rows.find((r) => r.hour === h && r.event === e)?.events ?? 0),
    })),
  };
  return (
    <>
      <EChart option={option} label={`Events per hour: ${events.join(', ')}`} />
      <CsvButton rows={rows} name="events-hourly" />
    </>
  );
}
