import { useState } from 'react';
import { type ApiProblem, api, must } from '../lib/api.ts';
import { DataTable } from '../lib/data-table.tsx';
import { asProblem, Dialog, PageHeader, Problem, Show, StatusBadge, useAsync, when } from '../lib/ui.tsx';
import { ClientUsage } from './admin/client-usage.tsx';
import { DeadLetters } from './admin/dead-letters.tsx';

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

/** The platform admin: clients with their status and usage, suspend/reactivate, health, dead letters. */
export function AdminPage() {
  // Twenty clients a page: each row asks for its own usage, so a page costs twenty usage reads.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const clients = useAsync(
    () =>
      must(
        api().GET('/v1/admin/clients', {
          params: { query: { limit: 20, ...(cursor ? { starting_after: cursor } : {}) } },
        }),
      ),
    [cursor],
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
          {(page) => (
            <>
              <DataTable
                caption="Clients"
                rows={page.data}
                rowKey={(c) => c.id}
                empty="No client yet."
                columns={[
                  {
                    key: 'client',
                    header: 'Client',
                    cell: (c) => (
                      <>
                        {c.name}
                        <div className="muted mono">{c.id}</div>
                      </>
                    ),
                  },
                  { key: 'plan', header: 'Plan', cell: (c) => c.plan },
                  { key: 'usage', header: 'Usage this month', cell: (c) => <ClientUsage clientId={c.id} /> },
                  { key: 'status', header: 'Status', cell: (c) => <StatusBadge status={c.status} /> },
                  { key: 'created', header: 'Created', cell: (c) => when(c.created_at) },
                  {
                    key: 'action',
                    header: 'Action',
                    cell: (c) =>
                      c.status === 'suspended' ? (
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
                      ),
                  },
                ]}
              />
              <div className="actions">
                <button
                  type="button"
                  disabled={cursors.length === 0}
                  onClick={() => setCursors(cursors.slice(0, -1))}
                >
                  Newer
                </button>
                <button
                  type="button"
                  disabled={!page.has_more || !page.next_cursor}
                  onClick={() => page.next_cursor && setCursors([...cursors, page.next_cursor])}
                >
                  Older
                </button>
              </div>
            </>
          )}
        </Show>
      </section>
      <DeadLetters />
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
