import { api, must } from '../../lib/api.ts';
import { useAsync } from '../../lib/ui.tsx';

const SHORT: Record<string, string> = {
  events_accepted: 'events',
  monthly_active_participants: 'MAP',
  journeys_started: 'journeys',
  rewards_issued: 'rewards',
};

/** One client's usage this month, fetched for its row only (each answer queries ClickHouse and Temporal). */
export function ClientUsage({ clientId }: { clientId: string }) {
  const usage = useAsync(
    () => must(api().GET('/v1/admin/clients/{id}/usage', { params: { path: { id: clientId } } })),
    [clientId],
  );
  if (usage.state === 'loading') return <span className="muted">…</span>;
  if (usage.state === 'error') return <span className="muted">unavailable ({usage.problem.code})</span>;
  const top = Object.entries(usage.data.usage.metrics).sort(
    (a, b) => (b[1].percent ?? 0) - (a[1].percent ?? 0),
  );
  return (
    <ul className="usage-cell" data-testid={`usage-${clientId}`}>
      {top.map(([name, m]) => (
        <li key={name}>
          {SHORT[name] ?? name} {m.value.toLocaleString()}
          {m.limit === null ? '' : ` / ${m.limit.toLocaleString()}`}
          {m.percent !== null && m.percent >= 80 ? (
            <span className="badge badge-pending">{m.percent}%</span>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
