import { useState } from 'react';
import { api, must } from '../../lib/api.ts';
import { Show, useAsync, when } from '../../lib/ui.tsx';

const LABELS: Record<string, string> = {
  events_accepted: 'Events accepted',
  monthly_active_participants: 'Monthly active participants',
  journeys_started: 'Journeys started',
  rewards_issued: 'Rewards issued',
};
/** The plan warns from this share of a limit (the same threshold as the warning emails). */
const WARN_PERCENT = 80;

export interface Metric {
  value: number;
  limit: number | null;
  percent: number | null;
}

/** One meter per metric against the plan: a bar, the figures, and the warning from 80 %. */
export function UsageMeters({ metrics, label }: { metrics: Record<string, Metric>; label: string }) {
  return (
    <dl className="meters" aria-label={label}>
      {Object.entries(metrics).map(([name, m]) => {
        const warn = m.percent !== null && m.percent >= WARN_PERCENT;
        return (
          <div key={name} className="meter-row" data-testid={`usage-${name}`}>
            <dt>{LABELS[name] ?? name}</dt>
            <dd>
              {m.limit === null ? (
                <span>{m.value.toLocaleString()} (unlimited)</span>
              ) : (
                <>
                  <meter
                    min={0}
                    max={m.limit}
                    value={Math.min(m.value, m.limit)}
                    low={(m.limit * WARN_PERCENT) / 100}
                    high={m.limit * 0.99}
                    optimum={0}
                    aria-label={`${LABELS[name] ?? name}: ${m.percent ?? 0}% of the plan`}
                  />
                  <span>
                    {m.value.toLocaleString()} of {m.limit.toLocaleString()} ({m.percent}%)
                  </span>
                  {m.percent !== null && m.percent >= 100 ? (
                    <span className="badge badge-failed">limit reached</span>
                  ) : warn ? (
                    <span className="badge badge-pending">over {WARN_PERCENT}%</span>
                  ) : null}
                </>
              )}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}

/** `GET /v1/usage`: this month's (or another month's) meters against the plan's limits. */
export function Usage() {
  const [month, setMonth] = useState(() => new Date().toISOString().slice(0, 7));
  const usage = useAsync(() => must(api().GET('/v1/usage', { params: { query: { month } } })), [month]);
  return (
    <section className="panel" aria-labelledby="usage-h">
      <h2 id="usage-h">Usage</h2>
      <div className="toolbar">
        <label>
          Month
          <input
            type="month"
            value={month}
            max={new Date().toISOString().slice(0, 7)}
            onChange={(e) => e.target.value && setMonth(e.target.value)}
          />
        </label>
      </div>
      <Show value={usage} what="usage">
        {({ usage: u }) => {
          const near = Object.entries(u.metrics).filter(([, m]) => (m.percent ?? 0) >= WARN_PERCENT);
          return (
            <>
              <p>
                Plan <strong>{u.plan}</strong>, {when(u.period.from)} – {when(u.period.to)}
              </p>
              {near.length ? (
                <p className="state error" role="alert">
                  Near the plan’s limit: {near.map(([n, m]) => `${LABELS[n] ?? n} ${m.percent}%`).join(', ')}.
                  Events past the limit are refused (429); upgrade the plan to raise it.
                </p>
              ) : null}
              <UsageMeters metrics={u.metrics} label={`Usage of ${u.month}`} />
              <p className="muted">
                Events counted by the ingest right now: {u.live_events_counter.toLocaleString()} (the meter
                above reads ClickHouse, which lags it by seconds).
              </p>
              {u.notices.length ? (
                <>
                  <h3>Warnings sent</h3>
                  <ul>
                    {u.notices.map((n) => (
                      <li key={`${n.metric}-${n.threshold}`}>
                        {LABELS[n.metric] ?? n.metric} passed {n.threshold}% on {when(n.at)}
                      </li>
                    ))}
                  </ul>
                </>
              ) : null}
            </>
          );
        }}
      </Show>
    </section>
  );
}
