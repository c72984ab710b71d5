import { useState } from 'react';
import { type ApiProblem, api, must } from '../lib/api.ts';
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

interface Ready {
  ok: boolean;
  status: string;
  checks: Record<string, { status: 'up' | 'down'; latency_ms: number; error?: string; required: boolean }>;
}

/** Fetches readiness, which answers 503 with the same body when a dependency is down. */
async function readiness(): Promise<Ready> {
  const res = await fetch('/health/ready', { credentials: 'same-origin' });
  return (await res.json()) as Ready;
}

/** The platform admin: clients with their status, suspend/reactivate, platform health. */
export function AdminPage() {
  const clients = useAsync(
    () => must(api().GET('/v1/admin/clients', { params: { query: { limit: 100 } } })),
    [],
  );
  const health = useAsync(readiness, []);
  const [target, setTarget] = useState<{ id: string; name: string; to: 'active' | 'suspended' } | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  const apply = async () => {
    if (!target) return;
    try {
      await must(
        api().PATCH('/v1/admin/clients/{id}', {
          params: { path: { id: target.id } },
          body: { status: target.to },
        }),
      );
      setTarget(null);
      clients.reload();
    } catch (e) {
      setProblem(asProblem(e));
      setTarget(null);
    }
  };

  return (
    <>
      <PageHeader title="Platform admin" />
      <section className="panel" aria-labelledby="health-h">
        <h2 id="health-h">Platform health</h2>
        <Show value={health} what="readiness">
          {(h) => (
            <>
              <p>
                <StatusBadge status={h.status} />{' '}
                <button type="button" className="small" onClick={health.reload}>
                  Refresh
                </button>
              </p>
              <ul className="checks">
                {Object.entries(h.checks).map(([name, c]) => (
                  <li key={name}>
                    <StatusBadge status={c.status} /> <strong>{name}</strong> {c.latency_ms} ms
                    {c.required ? '' : ' (optional)'}
                    {c.error ? <span className="muted"> — {c.error}</span> : null}
                  </li>
                ))}
              </ul>
            </>
          )}
        </Show>
      </section>
      {problem ? <Problem problem={problem} /> : null}
      <section className="panel" aria-labelledby="clients-h">
        <h2 id="clients-h">Clients</h2>
        <Show value={clients} what="clients">
          {(page) =>
            page.data.length === 0 ? (
              <Empty>No client yet.</Empty>
            ) : (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Client</th>
                      <th scope="col">Plan</th>
                      <th scope="col">Status</th>
                      <th scope="col">Created</th>
                      <th scope="col">Action</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.data.map((c) => (
                      <tr key={c.id}>
                        <td>
                          {c.name}
                          <div className="muted mono">{c.id}</div>
                        </td>
                        <td>{c.plan}</td>
                        <td>
                          <StatusBadge status={c.status} />
                        </td>
                        <td>{when(c.created_at)}</td>
                        <td>
                          {c.status === 'suspended' ? (
                            <button
                              type="button"
                              className="small"
                              onClick={() => setTarget({ id: c.id, name: c.name, to: 'active' })}
                            >
                              Reactivate
                            </button>
                          ) : (
                            <button
                              type="button"
                              className="danger small"
                              onClick={() => setTarget({ id: c.id, name: c.name, to: 'suspended' })}
                            >
                              Suspend
                            </button>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Show>
        <p className="muted">Usage per client appears here once the platform meters usage.</p>
      </section>
      <section className="panel" aria-labelledby="dlq-h">
        <h2 id="dlq-h">Dead-lettered events</h2>
        <div className="state unavailable">
          Not available on this platform yet: no public API lists dead-lettered events.
        </div>
      </section>
      <Dialog
        open={target !== null}
        title={target?.to === 'suspended' ? `Suspend ${target?.name}?` : `Reactivate ${target?.name}?`}
        onClose={() => setTarget(null)}
      >
        <p>
          {target?.to === 'suspended'
            ? 'Its keys stop working at once: events, deploys and API calls are refused until it is reactivated.'
            : 'Its keys work again.'}
        </p>
        <div className="actions">
          <button type="button" onClick={() => setTarget(null)}>
            Cancel
          </button>
          <button
            type="button"
            className={target?.to === 'suspended' ? 'danger' : 'primary'}
            onClick={() => void apply()}
          >
            {target?.to === 'suspended' ? 'Suspend' : 'Reactivate'}
          </button>
        </div>
      </Dialog>
    </>
  );
}
