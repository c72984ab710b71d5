import { useMemo, useState } from 'react';
import { DataTable } from '../lib/data-table.tsx';
import { Empty } from '../lib/ui.tsx';
import { Figure, ReportCard } from './card.tsx';
import { type ChartOption, EChart } from './echart.tsx';
import { count, duration, money, PALETTE, pct, ratio } from './format.ts';
import {
  type CohortData,
  csvUrl,
  type FunnelData,
  type FunnelStage,
  type KFactorData,
  type ReferrerData,
  SEGMENT_DIMENSIONS,
  type SegmentData,
  type SegmentDimension,
  useReport,
} from './report.ts';

export type Query = Record<string, string>;
const reportPath = (name: string) => `/v1/analytics/reports/${name}`;

const STAGES = [
  ['Shared', 'sharers', 'share_rate', 'share rate (of participants)'],
  ['Clicked', 'clickers', 'click_through_rate', 'click-through (per invite)'],
  ['Signed up', 'signups', 'signup_rate', 'signup rate (of clickers)'],
  ['Converted', 'conversions', 'conversion_rate', 'conversion rate (of signups)'],
] as const;

/** Unique people at each stage, overall and per channel, with each stage's rate (docs/metrics.md#funnel). */
export function FunnelCard({ query }: { query: Query }) {
  const value = useReport<FunnelData>('funnel', query);
  return (
    <ReportCard
      id="funnel"
      title="Referral funnel"
      value={value}
      csv={csvUrl(reportPath('funnel'), query)}
      // An empty funnel still shows its stages at 0 (a funnel that moves from 0 is the first thing to watch).
      isEmpty={() => false}
      empty={null}
      wide
    >
      {(d) => <Funnel data={d} />}
    </ReportCard>
  );
}

function Funnel({ data }: { data: FunnelData }) {
  const t = data.total;
  const option = useMemo<ChartOption>(
    () => ({
      color: [...PALETTE],
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      grid: { left: 80, right: 56, top: 8, bottom: 24, containLabel: false },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', inverse: true, data: STAGES.map((s) => s[0]) },
      series: [
        {
          type: 'bar',
          barMaxWidth: 28,
          data: STAGES.map((s) => t[s[1]]),
          label: { show: true, position: 'right' },
        },
      ],
    }),
    [t],
  );
  const channels = data.channels.filter((c) => c.channel !== null);
  const nothing = t.participants === 0 && t.shares === 0 && t.clickers === 0;
  return (
    <div className="split funnel-split">
      <div>
        {nothing ? (
          <Empty>No share, click or signup in this range.</Empty>
        ) : (
          <EChart
            option={option}
            height={200}
            label={`Funnel in unique people: ${STAGES.map(([l, k]) => `${l} ${t[k]}`).join(', ')}`}
          />
        )}
        <table className="compact" data-testid="funnel-table">
          <caption className="sr-only">Funnel stages, unique people, with the rate into each stage</caption>
          <thead>
            <tr>
              <th scope="col">Stage</th>
              <th scope="col" className="num">
                People
              </th>
              <th scope="col" className="num">
                Rate
              </th>
            </tr>
          </thead>
          <tbody>
            {STAGES.map(([label, k, rate, what]) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                <td className="num" data-step={label}>
                  {t[k]}
                </td>
                <td className="num" data-rate={rate} title={what}>
                  {pct(t[rate])}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="hint">
          {count(t.participants)} participants · {count(t.shares)} invites sent
        </p>
      </div>
      <DataTable<FunnelStage>
        caption="Funnel per channel"
        compact
        testId="funnel-channels"
        rows={channels}
        rowKey={(r) => r.channel || '(none)'}
        empty="No share or click carried a channel."
        columns={[
          {
            key: 'channel',
            header: 'Channel',
            cell: (r) => r.channel || <span className="muted">none</span>,
          },
          { key: 'shares', header: 'Invites', className: 'num', cell: (r) => count(r.shares) },
          { key: 'clickers', header: 'Clickers', className: 'num', cell: (r) => count(r.clickers) },
          { key: 'ctr', header: 'CTR', className: 'num', cell: (r) => pct(r.click_through_rate) },
          { key: 'signups', header: 'Signups', className: 'num', cell: (r) => count(r.signups) },
          { key: 'signup_rate', header: 'Signup rate', className: 'num', cell: (r) => pct(r.signup_rate) },
          { key: 'conversions', header: 'Conv.', className: 'num', cell: (r) => count(r.conversions) },
        ]}
      />
    </div>
  );
}

/** K-factor with its two parts, the cohort K and the viral cycle time (docs/metrics.md#k-factor). */
export function KFactorCard({ query }: { query: Query }) {
  const value = useReport<KFactorData>('k-factor', query);
  return (
    <ReportCard
      id="k-factor"
      title="K-factor"
      value={value}
      csv={csvUrl(reportPath('k-factor'), query)}
      isEmpty={(d) => d.participants === 0}
      empty="No participant in this range."
    >
      {(d) => (
        <>
          <dl className="figures">
            <Figure
              label="K-factor"
              metric="k_factor"
              value={ratio(d.k_factor)}
              hint="new referred people per participant"
            />
            <Figure
              label="Invites per participant"
              metric="invites_per_participant"
              value={ratio(d.invites_per_participant)}
              hint={`${count(d.invites)} invites ÷ ${count(d.participants)} participants`}
            />
            <Figure
              label="Invite conversion"
              metric="invite_conversion"
              value={pct(d.invite_conversion)}
              hint={`${count(d.referred_signups)} referred signups ÷ ${count(d.invites)} invites`}
            />
            <Figure
              label="Cohort K-factor"
              metric="cohort_k_factor"
              value={ratio(d.cohort.k_factor)}
              hint={`cohort ${d.cohort.from} – ${d.cohort.to}: ${count(d.cohort.size)} joined, brought ${count(d.cohort.referred_signups)}`}
            />
            <Figure
              label="Viral cycle time (median)"
              metric="cycle_median"
              value={duration(d.cycle_time.median_seconds)}
              hint={`mean ${duration(d.cycle_time.mean_seconds)} over ${count(d.cycle_time.cycles)} cycles`}
            />
          </dl>
          <p className="hint">K = invites per participant × invite conversion.</p>
        </>
      )}
    </ReportCard>
  );
}

const SEGMENT_LABELS: Record<SegmentDimension, string> = {
  plan: 'Plan',
  country: 'Country',
  device_type: 'Device',
  channel: 'Channel',
  segment: 'Segment',
};

/** Conversion of signed-up people by plan, country, device, channel or segment (docs/metrics.md#segments). */
export function SegmentsCard({ query }: { query: Query }) {
  const [by, setBy] = useState<SegmentDimension>('plan');
  const q = useMemo(() => ({ ...query, by }), [query, by]);
  const value = useReport<SegmentData>('segments', q);
  return (
    <ReportCard
      id="segments"
      title="Segment insights"
      value={value}
      csv={csvUrl(reportPath('segments'), q)}
      isEmpty={(d) => d.segments.length === 0}
      empty="No signup in this range."
      extra={
        <label className="inline">
          By
          <select value={by} onChange={(e) => setBy(e.target.value as SegmentDimension)}>
            {SEGMENT_DIMENSIONS.map((d) => (
              <option key={d} value={d}>
                {SEGMENT_LABELS[d]}
              </option>
            ))}
          </select>
        </label>
      }
    >
      {(d) => {
        const rows = d.segments;
        const option: ChartOption = {
          color: [PALETTE[1]],
          tooltip: { trigger: 'axis', valueFormatter: (v: number) => `${(v * 100).toFixed(1)} %` },
          grid: { left: 44, right: 12, top: 12, bottom: 28 },
          xAxis: { type: 'category', data: rows.map((r) => r.value || '(none)'), axisLabel: { interval: 0 } },
          yAxis: {
            type: 'value',
            max: 1,
            axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` },
          },
          series: [{ type: 'bar', barMaxWidth: 36, data: rows.map((r) => r.conversion_rate ?? 0) }],
        };
        return (
          <>
            <EChart
              option={option}
              height={180}
              label={`Conversion rate by ${SEGMENT_LABELS[d.by].toLowerCase()}: ${rows
                .map((r) => `${r.value || 'none'} ${pct(r.conversion_rate)}`)
                .join(', ')}`}
            />
            <DataTable
              caption={`Signups and conversions by ${SEGMENT_LABELS[d.by].toLowerCase()}`}
              compact
              testId="segments-table"
              rows={rows}
              rowKey={(r) => r.value}
              empty="No signup."
              columns={[
                {
                  key: 'value',
                  header: SEGMENT_LABELS[d.by],
                  cell: (r) => r.value || <span className="muted">none</span>,
                },
                { key: 'signups', header: 'Signups', className: 'num', cell: (r) => count(r.signups) },
                {
                  key: 'conversions',
                  header: 'Converted',
                  className: 'num',
                  cell: (r) => count(r.conversions),
                },
                { key: 'rate', header: 'Rate', className: 'num', cell: (r) => pct(r.conversion_rate) },
              ]}
            />
          </>
        );
      }}
    </ReportCard>
  );
}

const moneyList = (xs: { currency: string; amount: number }[]) =>
  xs.length ? xs.map((x) => money(x.amount, x.currency)).join(', ') : '—';

/** Per-referrer KPIs, best first (docs/metrics.md#referrers). */
export function ReferrersCard({ query }: { query: Query }) {
  const q = useMemo(() => ({ ...query, limit: '10' }), [query]);
  const value = useReport<ReferrerData>('referrers', q);
  return (
    <ReportCard
      id="referrers"
      title="Top referrers"
      value={value}
      csv={csvUrl(reportPath('referrers'), q)}
      isEmpty={(d) => d.referrers.length === 0}
      empty="No referrer in this range."
      wide
    >
      {(d) => (
        <DataTable
          caption="Top referrers by conversions, then signups"
          compact
          testId="referrers-table"
          rows={d.referrers}
          rowKey={(r) => r.referrer_id}
          empty="No referrer."
          columns={[
            { key: 'rank', header: '#', cell: (r) => d.referrers.indexOf(r) + 1 },
            { key: 'referrer', header: 'Referrer', className: 'mono', cell: (r) => r.referrer_id },
            { key: 'shares', header: 'Invites', className: 'num', cell: (r) => count(r.shares) },
            { key: 'clickers', header: 'Clickers', className: 'num', cell: (r) => count(r.clickers) },
            { key: 'signups', header: 'Signups', className: 'num', cell: (r) => count(r.signups) },
            { key: 'conversions', header: 'Conv.', className: 'num', cell: (r) => count(r.conversions) },
            { key: 'conv_rate', header: 'Conv. rate', className: 'num', cell: (r) => pct(r.conversion_rate) },
            { key: 'revenue', header: 'Revenue', className: 'num', cell: (r) => moneyList(r.revenue) },
            { key: 'cost', header: 'Reward cost', className: 'num', cell: (r) => moneyList(r.reward_cost) },
          ]}
        />
      )}
    </ReportCard>
  );
}

/** Join-week cohorts: share of each cohort active k weeks after joining (docs/metrics.md#cohorts). */
export function CohortsCard({ query }: { query: Query }) {
  const value = useReport<CohortData>('cohorts', query);
  return (
    <ReportCard
      id="cohorts"
      title="Cohorts by join week"
      value={value}
      csv={csvUrl(reportPath('cohorts'), query)}
      isEmpty={(d) => d.cohorts.length === 0}
      empty="Nobody joined in this range."
      wide
    >
      {(d) => <Cohorts data={d} />}
    </ReportCard>
  );
}

function Cohorts({ data }: { data: CohortData }) {
  const maxWeek = Math.max(0, ...data.cohorts.flatMap((c) => c.weeks.map((w) => w.week)));
  const weeks = Array.from({ length: maxWeek + 1 }, (_, i) => i);
  const rows = data.cohorts.map((c) => c.week_start);
  const cells = data.cohorts.flatMap((c, y) =>
    c.weeks.map((w) => [w.week, y, Math.round((w.active_rate ?? 0) * 1000) / 10]),
  );
  const option: ChartOption = {
    tooltip: {
      formatter: (p: { value: number[] }) =>
        `${rows[p.value[1] ?? 0]} · week ${p.value[0]}: ${p.value[2]} % active`,
    },
    grid: { left: 92, right: 16, top: 8, bottom: 64 },
    xAxis: { type: 'category', data: weeks.map((w) => `W${w}`), splitArea: { show: true } },
    yAxis: { type: 'category', data: rows, inverse: true },
    visualMap: {
      min: 0,
      max: 100,
      orient: 'horizontal',
      left: 'center',
      bottom: 0,
      itemHeight: 140,
      text: ['100 % active', '0 %'],
      inRange: { color: ['#eef0ff', '#3b4fd8'] },
    },
    series: [
      {
        type: 'heatmap',
        data: cells,
        label: { show: true, formatter: (p: { value: number[] }) => `${p.value[2]}%` },
      },
    ],
  };
  return (
    <>
      <EChart
        option={option}
        height={Math.max(160, 60 + rows.length * 34 + 48)}
        label={`Cohort activity: ${data.cohorts
          .map((c) => `week of ${c.week_start}, ${c.size} joined, ${pct(c.conversion_rate)} converted`)
          .join('; ')}`}
      />
      <DataTable
        caption="Cohorts by join week: size, conversion and the share active each week after joining"
        compact
        testId="cohorts-table"
        rows={data.cohorts}
        rowKey={(c) => c.week_start}
        empty="No cohort."
        columns={[
          { key: 'week', header: 'Join week', cell: (c) => c.week_start },
          { key: 'size', header: 'Size', className: 'num', cell: (c) => count(c.size) },
          { key: 'conv', header: 'Converted', className: 'num', cell: (c) => pct(c.conversion_rate) },
          ...weeks.map((w) => ({
            key: `w${w}`,
            header: `W${w}`,
            className: 'num' as const,
            cell: (c: CohortData['cohorts'][number]) => pct(c.weeks.find((x) => x.week === w)?.active_rate),
          })),
        ]}
      />
    </>
  );
}
