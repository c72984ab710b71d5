import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { api, must } from '../lib/api.ts';
import { navigate, useLocation } from '../lib/router.tsx';
import { PageHeader, useAsync } from '../lib/ui.tsx';
import { LeaderboardsCard, LiveCard, TimeSeriesCard } from './campaign-cards.tsx';
import { DownloadLink } from './card.tsx';
import { CostCard, LtvCard, RewardsCard } from './cards-money.tsx';
import { CohortsCard, FunnelCard, KFactorCard, ReferrersCard, SegmentsCard } from './cards-people.tsx';
import './dashboard.css';
import { checkRange, MAX_DAYS, PRESETS, rangeOf } from './range.ts';

/**
 * The client's dashboard, or one campaign's: every card loads its own report from the analytics API
 * (docs/metrics.md), so a slow or failing report stays inside its card. The campaign and the date range
 * live in the URL, so a view can be shared.
 */
export default function DashboardPage() {
  const { query } = useLocation();
  const campaign = query.get('campaign') ?? '';
  const { range, preset, problem } = rangeOf(query);
  const set = (changes: Record<string, string | null>) => {
    const p = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(changes)) {
      if (v) p.set(k, v);
      else p.delete(k);
    }
    navigate(`/dashboard?${p}`, true);
  };
  const campaigns = useAsync(
    () => must(api().GET('/v1/campaigns', { params: { query: { limit: 100 } } })),
    [],
  );
  const reportQuery = useMemo(
    () => ({ from: range.from, to: range.to, ...(campaign ? { campaign_id: campaign } : {}) }),
    [range.from, range.to, campaign],
  );
  const title =
    campaign && campaigns.state === 'ready'
      ? (campaigns.data.data.find((c) => c.id === campaign)?.title ?? campaign)
      : 'All campaigns';

  return (
    <>
      <PageHeader title="Dashboard">
        {campaign ? (
          <DownloadLink
            href={`/v1/analytics/campaigns/${encodeURIComponent(campaign)}/report.pdf?${new URLSearchParams({ from: range.from, to: range.to })}`}
            filename={`campaign-${campaign}-${range.from}-${range.to}.pdf`}
          >
            PDF report
          </DownloadLink>
        ) : null}
      </PageHeader>
      <div className="toolbar dash-toolbar">
        <label>
          Campaign
          <select value={campaign} onChange={(e) => set({ campaign: e.target.value })}>
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
        <RangePicker
          preset={preset}
          from={range.from}
          to={range.to}
          onPreset={(days) => set({ range: days, from: null, to: null })}
          onCustom={(from, to) => set({ range: 'custom', from, to })}
        />
      </div>
      {problem ? (
        <p className="state error" role="alert">
          {problem}
        </p>
      ) : null}
      <p className="dash-scope" data-testid="dash-scope">
        {title} · {range.from} to {range.to} (UTC, {range.days} days)
      </p>
      <div className="dash-grid">
        {campaign ? <LiveCard campaign={campaign} /> : null}
        <FunnelCard query={reportQuery} />
        <KFactorCard query={reportQuery} />
        <CostCard query={reportQuery} />
        <LtvCard query={reportQuery} />
        <SegmentsCard query={reportQuery} />
        {campaign ? <TimeSeriesCard campaign={campaign} range={range} /> : null}
        <CohortsCard query={reportQuery} />
        <RewardsCard query={reportQuery} campaign={campaign} />
        <ReferrersCard query={reportQuery} />
        {campaign ? <LeaderboardsCard campaign={campaign} /> : null}
      </div>
    </>
  );
}

/** Presets (7/30/90 days) or a custom from/to, checked as the API checks it before the URL changes. */
function RangePicker({
  preset,
  from,
  to,
  onPreset,
  onCustom,
}: {
  preset: string;
  from: string;
  to: string;
  onPreset(days: string): void;
  onCustom(from: string, to: string): void;
}) {
  const [draft, setDraft] = useState({ from, to });
  const [error, setError] = useState<{ field: 'from' | 'to'; message: string } | null>(null);
  // A preset (or the back button) moves the range: the inputs follow it.
  useEffect(() => setDraft({ from, to }), [from, to]);
  const custom = preset === 'custom';
  const apply = (e: FormEvent) => {
    e.preventDefault();
    const r = checkRange(draft.from, draft.to);
    if ('field' in r) return setError(r);
    setError(null);
    onCustom(r.from, r.to);
  };
  return (
    <>
      <fieldset className="presets">
        <legend>Date range</legend>
        {PRESETS.map(([v, label]) => (
          <button
            key={v}
            type="button"
            className={`small${preset === v ? ' active' : ''}`}
            aria-pressed={preset === v}
            onClick={() => onPreset(v)}
          >
            {label}
          </button>
        ))}
      </fieldset>
      <form className="custom-range" onSubmit={apply} aria-label="Custom date range" noValidate>
        <label>
          From
          <input
            type="date"
            value={draft.from}
            max={draft.to}
            aria-invalid={error?.field === 'from'}
            aria-describedby={error?.field === 'from' ? 'range-error' : undefined}
            onChange={(e) => setDraft({ ...draft, from: e.target.value })}
          />
        </label>
        <label>
          To
          <input
            type="date"
            value={draft.to}
            min={draft.from}
            aria-invalid={error?.field === 'to'}
            aria-describedby={error?.field === 'to' ? 'range-error' : undefined}
            onChange={(e) => setDraft({ ...draft, to: e.target.value })}
          />
        </label>
        <button type="submit" className={custom ? 'small primary' : 'small'}>
          Apply
        </button>
        {error ? (
          <span id="range-error" className="field-error" role="alert">
            {error.message} (at most {MAX_DAYS} days)
          </span>
        ) : null}
      </form>
    </>
  );
}
