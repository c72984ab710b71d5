import { api, must } from '../lib/api.ts';
import { DataTable } from '../lib/data-table.tsx';
import { Show, StatusBadge, useAsync } from '../lib/ui.tsx';
import { BudgetBars } from '../pages/campaigns.tsx';
import { ReportCard } from './card.tsx';
import type { Query } from './cards-people.tsx';
import { type ChartOption, EChart } from './echart.tsx';
import { count, decimal, money, PALETTE, pct, ratio } from './format.ts';
import { type CostData, csvUrl, type LtvData, type RewardData, useReport } from './report.ts';

const reportPath = (name: string) => `/v1/analytics/reports/${name}`;

/** CPA and reward ROI, one row per currency: money is never added across currencies (docs/metrics.md#cost). */
export function CostCard({ query }: { query: Query }) {
  const value = useReport<CostData>('cost', query);
  return (
    <ReportCard
      id="cost"
      title="CPA and reward ROI"
      value={value}
      csv={csvUrl(reportPath('cost'), query)}
      isEmpty={(d) => d.currencies.length === 0}
      empty="No reward delivered and no referred revenue in this range."
    >
      {(d) => {
        const option: ChartOption = {
          color: [PALETTE[2], PALETTE[3]],
          legend: { top: 0 },
          tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
          grid: { left: 56, right: 12, top: 32, bottom: 24 },
          xAxis: { type: 'category', data: d.currencies.map((c) => c.currency) },
          yAxis: { type: 'value' },
          series: [
            {
              name: 'Referred revenue',
              type: 'bar',
              barMaxWidth: 32,
              data: d.currencies.map((c) => c.referred_revenue),
            },
            {
              name: 'Reward cost',
              type: 'bar',
              barMaxWidth: 32,
              data: d.currencies.map((c) => c.reward_cost),
            },
          ],
        };
        return (
          <>
            <EChart
              option={option}
              height={170}
              label={`Referred revenue and reward cost per currency: ${d.currencies
                .map((c) => `${c.currency} revenue ${c.referred_revenue}, cost ${c.reward_cost}`)
                .join('; ')}`}
            />
            <DataTable
              caption="Reward cost, referred revenue, CPA and ROI per currency"
              compact
              testId="cost-table"
              rows={d.currencies}
              rowKey={(c) => c.currency}
              empty="No currency."
              columns={[
                { key: 'currency', header: 'Currency', cell: (c) => c.currency },
                {
                  key: 'cost',
                  header: 'Reward cost',
                  className: 'num',
                  cell: (c) => decimal(c.reward_cost),
                },
                {
                  key: 'revenue',
                  header: 'Revenue',
                  className: 'num',
                  cell: (c) => decimal(c.referred_revenue),
                },
                { key: 'cpa', header: 'CPA', className: 'num', cell: (c) => decimal(c.cpa) },
                {
                  key: 'roi',
                  header: 'ROI',
                  className: 'num',
                  cell: (c) => (c.roi === null ? '—' : `${ratio(c.roi)}×`),
                },
              ]}
            />
            <p className="hint">
              CPA = reward cost ÷ {count(d.referred_conversions)} referred converters (all currencies); ROI =
              (revenue − cost) ÷ cost, within one currency.
            </p>
          </>
        );
      }}
    </ReportCard>
  );
}

/** Lifetime value of referred vs non-referred people who joined in the window, per currency. */
export function LtvCard({ query }: { query: Query }) {
  const value = useReport<LtvData>('ltv', query);
  return (
    <ReportCard
      id="ltv"
      title="LTV: referred vs non-referred"
      value={value}
      csv={csvUrl(reportPath('ltv'), query)}
      isEmpty={(d) => d.referred.participants + d.non_referred.participants === 0}
      empty="Nobody joined in this range."
    >
      {(d) => {
        const currencies = [
          ...new Set([...d.referred.currencies, ...d.non_referred.currencies].map((c) => c.currency)),
        ].sort();
        const ltv = (g: 'referred' | 'non_referred', cur: string) =>
          d[g].currencies.find((c) => c.currency === cur)?.ltv ?? null;
        const rows = currencies.map((currency) => ({
          currency,
          referred: ltv('referred', currency),
          non: ltv('non_referred', currency),
        }));
        const option: ChartOption = {
          color: [PALETTE[0], PALETTE[4]],
          legend: { top: 0 },
          tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
          grid: { left: 56, right: 12, top: 32, bottom: 24 },
          xAxis: { type: 'category', data: currencies },
          yAxis: { type: 'value' },
          series: [
            { name: 'Referred', type: 'bar', barMaxWidth: 32, data: rows.map((r) => r.referred ?? 0) },
            { name: 'Non-referred', type: 'bar', barMaxWidth: 32, data: rows.map((r) => r.non ?? 0) },
          ],
        };
        return (
          <>
            {currencies.length ? (
              <EChart
                option={option}
                height={170}
                label={`LTV per currency: ${rows
                  .map(
                    (r) =>
                      `${r.currency} referred ${money(r.referred, r.currency)}, non-referred ${money(r.non, r.currency)}`,
                  )
                  .join('; ')}`}
              />
            ) : null}
            <DataTable
              caption="LTV per currency, referred and non-referred"
              compact
              testId="ltv-table"
              rows={rows}
              rowKey={(r) => r.currency}
              empty="No purchase yet by the people who joined."
              columns={[
                { key: 'currency', header: 'Currency', cell: (r) => r.currency },
                {
                  key: 'referred',
                  header: 'Referred',
                  className: 'num',
                  cell: (r) => money(r.referred, r.currency),
                },
                {
                  key: 'non',
                  header: 'Non-referred',
                  className: 'num',
                  cell: (r) => money(r.non, r.currency),
                },
              ]}
            />
            <p className="hint">
              {count(d.referred.participants)} referred and {count(d.non_referred.participants)} non-referred
              people joined.
            </p>
          </>
        );
      }}
    </ReportCard>
  );
}

/** Rewards by type and state, and spend against budget (docs/metrics.md#reward-distribution). */
export function RewardsCard({ query, campaign }: { query: Query; campaign: string }) {
  const value = useReport<RewardData>('rewards', query);
  return (
    <ReportCard
      id="rewards"
      title="Reward distribution and spend"
      value={value}
      csv={csvUrl(reportPath('rewards'), query)}
      isEmpty={(d) => d.groups.length === 0 && d.budgets.length === 0 && !campaign}
      empty="No reward in this range."
      wide
    >
      {(d) => <Rewards data={d} campaign={campaign} />}
    </ReportCard>
  );
}

function Rewards({ data, campaign }: { data: RewardData; campaign: string }) {
  const states = [...new Set(data.groups.map((g) => g.state))].sort();
  const types = [...new Set(data.groups.map((g) => g.reward_type))].sort();
  const option: ChartOption = {
    color: [...PALETTE],
    legend: { top: 0 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 96, right: 16, top: 32, bottom: 24 },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: types },
    series: states.map((s) => ({
      name: s,
      type: 'bar',
      stack: 'rewards',
      barMaxWidth: 26,
      data: types.map((t) =>
        data.groups.filter((g) => g.reward_type === t && g.state === s).reduce((n, g) => n + g.rewards, 0),
      ),
    })),
  };
  // Across campaigns the budget table needs the whole width (one row per campaign and currency).
  return (
    <div className={campaign ? 'split' : 'stacked'}>
      <div>
        {data.groups.length ? (
          <EChart
            option={option}
            height={Math.max(150, 70 + types.length * 36)}
            label={`Rewards by type and state: ${data.groups.map((g) => `${g.reward_type} ${g.state} ${g.rewards}`).join(', ')}`}
          />
        ) : null}
        <DataTable
          caption="Rewards by type, category, state and currency"
          compact
          testId="reward-groups"
          rows={data.groups}
          rowKey={(g) => `${g.reward_type}|${g.category}|${g.state}|${g.currency}`}
          empty="No reward in this range."
          columns={[
            { key: 'type', header: 'Type', cell: (g) => g.reward_type },
            { key: 'category', header: 'Category', cell: (g) => g.category },
            { key: 'state', header: 'State', cell: (g) => <StatusBadge status={g.state} /> },
            { key: 'rewards', header: 'Rewards', className: 'num', cell: (g) => count(g.rewards) },
            { key: 'cost', header: 'Cost', className: 'num', cell: (g) => money(g.cost, g.currency) },
          ]}
        />
      </div>
      <div>
        <h3>Spend vs budget</h3>
        {campaign ? <CampaignBudget campaign={campaign} /> : null}
        <DataTable
          caption="Budgets per campaign and currency: committed and spent"
          compact
          testId="reward-budgets"
          rows={data.budgets}
          rowKey={(b) => `${b.campaign_id}|${b.currency}`}
          empty="No campaign with a budget had rewards in this range."
          columns={[
            ...(campaign
              ? []
              : [
                  {
                    key: 'campaign',
                    header: 'Campaign',
                    className: 'mono' as const,
                    cell: (b: RewardData['budgets'][number]) => b.campaign_id,
                  },
                ]),
            {
              key: 'budget',
              header: 'Budget',
              className: 'num',
              cell: (b) => (b.budget === null ? 'none' : money(b.budget, b.currency)),
            },
            {
              key: 'committed',
              header: 'Committed',
              className: 'num',
              cell: (b) => money(b.committed, b.currency),
            },
            { key: 'spent', header: 'Spent', className: 'num', cell: (b) => money(b.spent, b.currency) },
            { key: 'share', header: 'Used', className: 'num', cell: (b) => pct(b.spent_share) },
          ]}
        />
      </div>
    </div>
  );
}

/** The campaign's live budget and winner cap (reward service, all time) beside the window's spend. */
function CampaignBudget({ campaign }: { campaign: string }) {
  const budget = useAsync(
    () => must(api().GET('/v1/reward-budgets/{campaignId}', { params: { path: { campaignId: campaign } } })),
    [campaign],
  );
  return (
    <div className="budget-now">
      <Show value={budget} what="the budget">
        {(b) => <BudgetBars b={b.budget} />}
      </Show>
      <p className="hint">Budget and winner cap as of now, all time; the table counts this range only.</p>
    </div>
  );
}
