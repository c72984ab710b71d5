import { type FormEvent, useState } from 'react';
import { type ApiProblem, api, must } from '../../lib/api.ts';
import { DataTable } from '../../lib/data-table.tsx';
import { asProblem, Dialog, Problem, Show, StatusBadge, useAsync, when } from '../../lib/ui.tsx';

interface Endpoint {
  id: string;
  url: string;
}

/** Webhook endpoints: add (secret shown once), enable/disable, rotate the secret, delete, delivery log. */
export function Webhooks() {
  const [url, setUrl] = useState('');
  const [topics, setTopics] = useState('');
  const [secret, setSecret] = useState<{ url: string; secret: string; overlapUntil?: string } | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [open, setOpen] = useState<Endpoint | null>(null);
  const [deleting, setDeleting] = useState<Endpoint | null>(null);
  // The endpoint whose secret is about to be rotated (asked first: receivers must then switch), and
  // when its previous rotation's overlap ends, if one runs.
  const [rotating, setRotating] = useState<(Endpoint & { overlapUntil: string | null }) | null>(null);
  const [rotateProblem, setRotateProblem] = useState<ApiProblem | null>(null);
  const list = useAsync(
    () => must(api().GET('/v1/notifications/webhook-endpoints', { params: { query: { limit: 100 } } })),
    [],
  );
  const act = async (run: () => Promise<void>) => {
    setProblem(null);
    try {
      await run();
      list.reload();
    } catch (err) {
      setProblem(asProblem(err));
    }
  };
  const add = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      const t = topics
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const res = await must(
        api().POST('/v1/notifications/webhook-endpoints', {
          body: { url, ...(t.length ? { topics: t } : {}) },
        }),
      );
      setSecret({ url: res.url, secret: res.secret });
      setUrl('');
      setTopics('');
    });
  };
  const path = (id: string) => ({ params: { path: { id } } });
  /** Rotates; `endNow` gives overlap 0 (the old secret stops signing at once). A refusal stays in the dialog. */
  const rotate = async (ep: Endpoint, endNow: boolean) => {
    setRotateProblem(null);
    try {
      const r = await must(
        api().POST('/v1/notifications/webhook-endpoints/{id}/rotate-secret', {
          ...path(ep.id),
          body: endNow ? { overlap_seconds: 0 } : {},
        }),
      );
      setRotating(null);
      setSecret({
        url: ep.url,
        secret: r.secret,
        ...(endNow ? {} : { overlapUntil: r.previous_secret_expires_at }),
      });
    } catch (err) {
      setRotateProblem(asProblem(err));
    }
    list.reload();
  };
  const closeRotate = () => {
    setRotating(null);
    setRotateProblem(null);
  };
  // An overlap known from the list, or from the server's 409 (another member rotated meanwhile).
  const overlapRuns = rotating?.overlapUntil != null || rotateProblem?.status === 409;
  return (
    <section className="panel" aria-labelledby="hooks-h">
      <h2 id="hooks-h">Webhook endpoints</h2>
      <form className="toolbar" onSubmit={add} aria-label="Add a webhook endpoint">
        <label>
          URL
          <input
            type="url"
            required
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="https://…"
          />
        </label>
        <label>
          Topics (comma-separated, empty for all)
          <input value={topics} onChange={(e) => setTopics(e.target.value)} />
        </label>
        <button type="submit" className="primary">
          Add endpoint
        </button>
      </form>
      {secret ? (
        <div className="once" role="status">
          <p>
            <strong>Copy the signing secret of {secret.url} now: it is shown once.</strong>
          </p>
          {secret.overlapUntil ? (
            <p>Until {when(secret.overlapUntil)} deliveries carry a signature by the old secret too.</p>
          ) : null}
          <label htmlFor="hook-secret">Signing secret</label>
          <input id="hook-secret" readOnly value={secret.secret} className="mono" />
          <div>
            <button type="button" className="small" onClick={() => setSecret(null)}>
              Done
            </button>
          </div>
        </div>
      ) : null}
      {problem ? <Problem problem={problem} /> : null}
      <Show value={list} what="webhook endpoints">
        {(page) => (
          <DataTable
            caption="Webhook endpoints"
            testId="endpoints"
            rows={page.data}
            rowKey={(e) => e.id}
            empty="No endpoint yet. Add one to receive signed events (Standard Webhooks)."
            columns={[
              {
                key: 'url',
                header: 'URL',
                cell: (e) => (
                  <>
                    <span className="mono">{e.url}</span>
                    <div className="muted">{e.topics.join(', ')}</div>
                  </>
                ),
              },
              {
                key: 'state',
                header: 'State',
                cell: (e) => (
                  <>
                    <StatusBadge status={e.enabled ? 'active' : 'paused'} />
                    {e.previous_secret_expires_at ? (
                      <div className="muted">old secret valid until {when(e.previous_secret_expires_at)}</div>
                    ) : null}
                  </>
                ),
              },
              {
                key: 'deliveries',
                header: 'Deliveries',
                cell: (e) => (
                  <>
                    {e.deliveries.total} ({e.deliveries.failed} failed)
                    <div className="muted">last {when(e.deliveries.last_attempt_at)}</div>
                  </>
                ),
              },
              {
                key: 'actions',
                header: 'Actions',
                className: 'nowrap',
                cell: (e) => (
                  <>
                    <button
                      type="button"
                      className="small"
                      aria-label={`Delivery log of ${e.url}`}
                      onClick={() => {
                        setOpen({ id: e.id, url: e.url });
                        list.reload();
                      }}
                    >
                      Delivery log
                    </button>{' '}
                    <button
                      type="button"
                      className="small"
                      aria-label={`${e.enabled ? 'Disable' : 'Enable'} ${e.url}`}
                      onClick={() =>
                        void act(async () => {
                          await must(
                            api().PATCH('/v1/notifications/webhook-endpoints/{id}', {
                              ...path(e.id),
                              body: { enabled: !e.enabled },
                            }),
                          );
                        })
                      }
                    >
                      {e.enabled ? 'Disable' : 'Enable'}
                    </button>{' '}
                    <button
                      type="button"
                      className="small"
                      aria-label={`Rotate secret of ${e.url}`}
                      onClick={() => {
                        setRotateProblem(null);
                        setRotating({
                          id: e.id,
                          url: e.url,
                          overlapUntil: e.previous_secret_expires_at ?? null,
                        });
                      }}
                    >
                      Rotate secret
                    </button>{' '}
                    <button
                      type="button"
                      className="danger small"
                      aria-label={`Delete ${e.url}`}
                      onClick={() => setDeleting({ id: e.id, url: e.url })}
                    >
                      Delete
                    </button>
                  </>
                ),
              },
            ]}
          />
        )}
      </Show>
      {open ? <DeliveryLog endpoint={open} onChanged={list.reload} /> : null}
      <Dialog
        open={rotating !== null}
        title={`Rotate the secret of ${rotating?.url ?? ''}?`}
        onClose={closeRotate}
      >
        {rotating?.overlapUntil ? (
          <p>
            A rotation is in progress: the original secret keeps signing until {when(rotating.overlapUntil)}.
            Another rotation waits for that, or ends the original secret now: receivers still using it then
            refuse every delivery.
          </p>
        ) : (
          <p>
            A new secret is shown once. For a day, deliveries carry signatures by both secrets, so your
            receiver can switch to the new one without refusing a message.
          </p>
        )}
        {rotateProblem ? <Problem problem={rotateProblem} /> : null}
        <div className="actions">
          <button type="button" onClick={closeRotate}>
            Cancel
          </button>
          {overlapRuns ? (
            <button type="button" className="danger" onClick={() => rotating && void rotate(rotating, true)}>
              End the old secret now and rotate
            </button>
          ) : (
            <button
              type="button"
              className="primary"
              onClick={() => rotating && void rotate(rotating, false)}
            >
              Rotate secret
            </button>
          )}
        </div>
      </Dialog>
      <Dialog
        open={deleting !== null}
        title={`Delete ${deleting?.url ?? ''}?`}
        onClose={() => setDeleting(null)}
      >
        <p>Nothing more is sent to it, and its delivery log is removed.</p>
        <div className="actions">
          <button type="button" onClick={() => setDeleting(null)}>
            Cancel
          </button>
          <button
            type="button"
            className="danger"
            onClick={() => {
              const d = deleting;
              setDeleting(null);
              if (d)
                void act(async () => {
                  await must(api().DELETE('/v1/notifications/webhook-endpoints/{id}', path(d.id)));
                  if (open?.id === d.id) setOpen(null);
                });
            }}
          >
            Delete endpoint
          </button>
        </div>
      </Dialog>
    </section>
  );
}

/** One endpoint's deliveries, newest first, paged, with a redelivery of one. */
function DeliveryLog({ endpoint, onChanged }: { endpoint: Endpoint; onChanged(): void }) {
  const [status, setStatus] = useState<'' | 'delivered' | 'failed'>('');
  const [cursors, setCursors] = useState<string[]>([]);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const cursor = cursors.at(-1);
  const log = useAsync(
    () =>
      must(
        api().GET('/v1/notifications/webhook-endpoints/{id}/deliveries', {
          params: {
            path: { id: endpoint.id },
            query: {
              limit: 20,
              ...(status ? { status } : {}),
              ...(cursor ? { starting_after: cursor } : {}),
            },
          },
        }),
      ),
    [endpoint.id, status, cursor],
  );
  const redeliver = async (id: string) => {
    setProblem(null);
    try {
      await must(
        api().POST('/v1/notifications/webhook-endpoints/{id}/deliveries/{deliveryId}/redeliver', {
          params: { path: { id: endpoint.id, deliveryId: id } },
        }),
      );
      log.reload();
      onChanged();
    } catch (err) {
      setProblem(asProblem(err));
    }
  };
  return (
    <section className="preview" aria-labelledby="log-h">
      <h3 id="log-h">Delivery log of {endpoint.url}</h3>
      <div className="toolbar">
        <label>
          Outcome
          <select
            value={status}
            onChange={(e) => {
              setCursors([]);
              setStatus(e.target.value as typeof status);
            }}
          >
            <option value="">all</option>
            <option value="delivered">delivered</option>
            <option value="failed">failed</option>
          </select>
        </label>
        <button type="button" className="small" onClick={log.reload}>
          Refresh
        </button>
      </div>
      {problem ? <Problem problem={problem} /> : null}
      <Show value={log} what="deliveries">
        {(page) => (
          <>
            <DataTable
              caption={`Deliveries to ${endpoint.url}`}
              testId="deliveries"
              rows={page.data}
              rowKey={(d) => d.id}
              empty="Nothing sent to this endpoint yet."
              columns={[
                { key: 'when', header: 'Last attempt', cell: (d) => when(d.last_attempt_at ?? d.created_at) },
                {
                  key: 'topic',
                  header: 'Topic / message',
                  cell: (d) => (
                    <>
                      {d.topic}
                      <div className="muted mono">{d.message_id}</div>
                    </>
                  ),
                },
                {
                  key: 'status',
                  header: 'Outcome',
                  cell: (d) => (
                    <>
                      <StatusBadge status={d.status} /> {d.status_code ?? 'no answer'}
                      {d.error ? <div className="muted">{d.error}</div> : null}
                    </>
                  ),
                },
                { key: 'attempts', header: 'Attempts', className: 'num', cell: (d) => d.attempts },
                {
                  key: 'latency',
                  header: 'Latency',
                  className: 'num',
                  cell: (d) => (d.latency_ms === null ? '—' : `${d.latency_ms} ms`),
                },
                {
                  key: 'redeliver',
                  header: 'Action',
                  cell: (d) => (
                    <button
                      type="button"
                      className="small"
                      aria-label={`Redeliver ${d.message_id}`}
                      onClick={() => void redeliver(d.id)}
                    >
                      Redeliver
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
  );
}
