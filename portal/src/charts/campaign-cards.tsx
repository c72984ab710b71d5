import { useEffect, useMemo, useState } from 'react';
import { type ApiProblem, api, must } from '../lib/api.ts';
import { DataTable } from '../lib/data-table.tsx';
import { followEventStream, type StreamState } from '../lib/sse.ts';
import { Empty, Loading, Problem, Show, useAsync } from '../lib/ui.tsx';
import { Freshness, ReportCard, useNow } from './card.tsx';
import { type ChartOption, EChart } from './echart.tsx';
import { age, count, PALETTE } from './format.ts';
import type { DayRange } from './range.ts';
import { csvUrl, type ReportAnswer, type SeriesData } from './report.ts';

const GRAINS = ['hour', 'day', 'week', 'month'] as const;
type Grain = (typeof GRAINS)[number];
const SERIES = [
  ['events', 'Events'],
  ['clickers', 'Clickers'],
  ['referred_signups', 'Referred signups'],
  ['referred_conversions', 'Referred conversions'],
] as const;

/** The campaign's metrics per bucket of the chosen grain, empty buckets as 0. */
export function TimeSeriesCard({ campaign, range }: { campaign: string; range: DayRange }) {
  const [grain, setGrain] = useState<Grain>(range.days <= 2 ? 'hour' : 'day');
  const query = useMemo(
    () => ({ from: range.from, to: range.to, grain, metrics: SERIES.map((s) => s[0]).join(',') }),
    [range, grain],
  );
  // The API refuses buckets it cannot fill (hours over more than 31 days): its answer shows in this card.
  const value = useAsync(
    () =>
      must(
        api().GET('/v1/analytics/campaigns/{id}/timeseries', {
          params: { path: { id: campaign }, query },
        }),
      ) as Promise<ReportAnswer<SeriesData>>,
    [campaign, query],
  );
  return (
    <ReportCard
      id="timeseries"
      title="Over time"
      value={value}
      csv={csvUrl(`/v1/analytics/campaigns/${encodeURIComponent(campaign)}/timeseries`, query)}
      isEmpty={(d) => d.rows.length === 0}
      empty="No bucket in this range."
      wide
      extra={
        <label className="inline">
          Grain
          <select value={grain} onChange={(e) => setGrain(e.target.value as Grain)}>
            {GRAINS.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </label>
      }
    >
      {(d) => <Series data={d} />}
    </ReportCard>
  );
}

const bucketLabel = (b: string, grain: Grain) => {
  const d = new Date(b.length === 10 ? `${b}T00:00:00Z` : b);
  if (Number.isNaN(d.getTime())) return b;
  if (grain === 'hour')
    return d.toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', timeZone: 'UTC' });
  if (grain === 'month')
    return d.toLocaleString('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' });
  return d.toLocaleString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
};

function Series({ data }: { data: SeriesData }) {
  const labels = data.rows.map((r) => bucketLabel(String(r.bucket), data.grain));
  const option: ChartOption = {
    color: [...PALETTE],
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 44, right: 16, top: 36, bottom: 28 },
    xAxis: { type: 'category', data: labels, axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value', minInterval: 1 },
    series: SERIES.map(([k, name]) => ({
      name,
      type: 'line',
      showSymbol: data.rows.length < 40,
      data: data.rows.map((r) => Number(r[k] ?? 0)),
    })),
  };
  const totals = SERIES.map(([k, name]) => `${name} ${data.rows.reduce((n, r) => n + Number(r[k] ?? 0), 0)}`);
  return (
    <>
      <EChart option={option} label={`Per ${data.grain}, in total: ${totals.join(', ')}`} />
      <details className="alt">
        <summary>The figures as a table</summary>
        <DataTable
          caption={`Metrics per ${data.grain}`}
          compact
          rows={data.rows}
          rowKey={(r) => String(r.bucket)}
          empty="No bucket."
          columns={[
            { key: 'bucket', header: data.grain, cell: (r) => bucketLabel(String(r.bucket), data.grain) },
            ...SERIES.map(([k, name]) => ({
              key: k,
              header: name,
              className: 'num' as const,
              cell: (r: SeriesData['rows'][number]) => count(Number(r[k] ?? 0)),
            })),
          ]}
        />
      </details>
    </>
  );
}

interface LiveCounts {
  campaign_id: string;
  minutes: number;
  events: number;
  signups: number;
  conversions: number;
  rewards: number;
  as_of: string;
}

/**
 * The campaign's counters over the last minutes, from the live stream (server-sent events). The stream
 * carries the tab's credentials like every call, so it works signed in as a member or with an API key;
 * it is tried again with a growing pause when it drops, and the card says how fresh the figures are. A
 * refusal (a key without analytics.read, an ended session) is shown with the API's reason instead.
 */
export function LiveCard({ campaign }: { campaign: string }) {
  const [counts, setCounts] = useState<LiveCounts | null>(null);
  const [status, setStatus] = useState<StreamState>('connecting');
  const [refused, setRefused] = useState<ApiProblem | null>(null);
  const now = useNow(1_000);
  useEffect(() => {
    setRefused(null);
    setCounts(null);
    return followEventStream(`/v1/analytics/campaigns/${encodeURIComponent(campaign)}/live?minutes=15`, {
      onState: setStatus,
      onRefused: setRefused,
      onMessage: (m) => {
        if (m.event === 'counts') setCounts(JSON.parse(m.data) as LiveCounts);
      },
    });
  }, [campaign]);
  const stale = counts ? now - Date.parse(counts.as_of) > 20_000 : false;
  return (
    <section className="panel card wide" aria-labelledby="live-h" data-card="live">
      <header className="card-head">
        <h2 id="live-h">Live, last 15 minutes</h2>
        <span
          className={`live-dot ${status === 'live' && !stale && !refused ? 'on' : 'off'}`}
          role="status"
          data-testid="live-status"
        >
          {refused ? 'refused' : status === 'live' ? (stale ? 'stale' : 'live') : status}
        </span>
      </header>
      <div className="card-body">
        {refused ? (
          <Problem problem={refused} />
        ) : counts ? (
          <dl className="figures live" aria-live="polite">
            {(
              [
                ['Events', counts.events, 'live_events'],
                ['Signups', counts.signups, 'live_signups'],
                ['Conversions', counts.conversions, 'live_conversions'],
                ['Rewards', counts.rewards, 'live_rewards'],
              ] as const
            ).map(([label, n, metric]) => (
              <div className="figure" key={metric}>
                <dt>{label}</dt>
                <dd data-metric={metric}>{count(n)}</dd>
              </div>
            ))}
          </dl>
        ) : (
          <Loading what="the live counters" />
        )}
      </div>
      {counts ? (
        <footer className="card-foot">
          <span className="freshness">
            <time dateTime={counts.as_of}>updated {age(counts.as_of, now)}</time>
          </span>
          <a href="/docs/metrics#live" target="_blank" rel="noreferrer">
            Definition<span className="sr-only"> of the live counters</span>
          </a>
        </footer>
      ) : null}
    </section>
  );
}

interface BoardDecl {
  id: string;
  title?: string;
}

/** The boards the campaign's live version declares (`leaderboards:`), each with its current top 10. */
export function LeaderboardsCard({ campaign }: { campaign: string }) {
  const boards = useAsync(async () => {
    const { campaign: c } = await must(
      api().GET('/v1/campaigns/{id}', { params: { path: { id: campaign } } }),
    );
    if (c.current_version === null || c.current_version === undefined) return [];
    const { version } = await must(
      api().GET('/v1/campaigns/{id}/versions/{version}', {
        params: { path: { id: campaign, version: c.current_version } },
      }),
    );
    return ((version.plan as { leaderboards?: BoardDecl[] }).leaderboards ?? []).map((b) => ({
      id: b.id,
      title: b.title,
    }));
  }, [campaign]);
  return (
    <section className="panel card wide" aria-labelledby="boards-h" data-card="leaderboards">
      <header className="card-head">
        <h2 id="boards-h">Leaderboards</h2>
      </header>
      <Show value={boards} what="the leaderboards">
        {(list) =>
          list.length === 0 ? (
            <Empty>This campaign declares no leaderboard (`leaderboards:` in its YAML).</Empty>
          ) : (
            <div className="grid two">
              {list.map((b) => (
                <Board key={b.id} campaign={campaign} board={b} />
              ))}
            </div>
          )
        }
      </Show>
    </section>
  );
}

function Board({ campaign, board }: { campaign: string; board: BoardDecl }) {
  const value = useAsync(
    () =>
      must(
        api().GET('/v1/campaigns/{campaign}/leaderboards/{board}', {
          params: { path: { campaign, board: board.id }, query: { limit: 10 } },
        }),
      ),
    [campaign, board.id],
  );
  const [asOf] = useState(() => new Date().toISOString());
  return (
    <div className="board" data-board={board.id}>
      <h3>{board.title ?? board.id}</h3>
      {value.state === 'loading' ? <Loading what="the board" /> : null}
      {value.state === 'error' ? <Problem problem={value.problem} onRetry={value.reload} /> : null}
      {value.state === 'ready' ? (
        <>
          <p className="hint">
            {value.data.metric} · period {value.data.period}
            {value.data.final ? ' (settled)' : ''} · {count(value.data.total)} on the board ·{' '}
            <Freshness asOf={asOf} />
          </p>
          <DataTable
            caption={`${board.title ?? board.id}: top places`}
            compact
            rows={value.data.standings}
            rowKey={(s) => s.participant_id}
            empty="Nobody on this board yet."
            columns={[
              { key: 'rank', header: '#', cell: (s) => s.rank },
              { key: 'who', header: 'Participant', className: 'mono', cell: (s) => s.participant_id },
              { key: 'score', header: 'Score', className: 'num', cell: (s) => count(s.score) },
            ]}
          />
        </>
      ) : null}
    </div>
  );
}
