import { useState } from 'react';
import { type ApiProblem, api, must } from '../../lib/api.ts';
import { DataTable } from '../../lib/data-table.tsx';
import { asProblem, Dialog, Problem, Show, useAsync, when } from '../../lib/ui.tsx';

type Sink = '' | 'clickhouse' | 'bus';

/** Events a sink refused and the drainer parked: counts per sink and client, retry or discard each. */
export function DeadLetters() {
  const [sink, setSink] = useState<Sink>('');
  const [clientId, setClientId] = useState('');
  const [cursors, setCursors] = useState<string[]>([]);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [discarding, setDiscarding] = useState<{ id: string; event_id: string } | null>(null);
  const cursor = cursors.at(-1);
  const list = useAsync(
    () =>
      must(
        api().GET('/v1/admin/dead-letters', {
          params: {
            query: {
              limit: 20,
              ...(sink ? { sink } : {}),
              ...(clientId ? { client_id: clientId } : {}),
              ...(cursor ? { starting_after: cursor } : {}),
            },
          },
        }),
      ),
    [sink, clientId, cursor],
  );
  const act = async (run: () => Promise<string>) => {
    setProblem(null);
    setNotice(null);
    try {
      setNotice(await run());
      list.reload();
    } catch (err) {
      setProblem(asProblem(err));
    }
  };
  const retry = (id: string, eventId: string) =>
    void act(async () => {
      await must(api().POST('/v1/admin/dead-letters/{id}/retry', { params: { path: { id } } }));
      return `Event ${eventId} is back in the outbox: the drainer sends it again (if the sink still refuses it, it is parked again).`;
    });
  const discard = (d: { id: string; event_id: string }) => {
    setDiscarding(null);
    void act(async () => {
      await must(api().DELETE('/v1/admin/dead-letters/{id}', { params: { path: { id: d.id } } }));
      return `Event ${d.event_id} was discarded.`;
    });
  };
  return (
    <section className="panel" aria-labelledby="dlq-h">
      <h2 id="dlq-h">Dead-lettered events</h2>
      <p className="muted">
        Accepted events a sink (ClickHouse or the bus) still refused after the drainer’s attempts, parked so
        the other events flow. Fix the cause, then retry; discard what must not be delivered.
      </p>
      {notice ? (
        <p className="state" role="status">
          {notice}
        </p>
      ) : null}
      {problem ? <Problem problem={problem} /> : null}
      <Show value={list} what="dead letters">
        {(page) => (
          <>
            <h3>Per sink and client</h3>
            <DataTable
              caption="Dead letters per sink and client"
              testId="dlq-counts"
              compact
              rows={page.counts}
              rowKey={(c) => `${c.sink}:${c.client_id}`}
              empty="Nothing parked: every accepted event reached both sinks."
              columns={[
                { key: 'sink', header: 'Sink', cell: (c) => c.sink },
                {
                  key: 'client',
                  header: 'Client',
                  className: 'mono',
                  cell: (c) => (
                    <button
                      type="button"
                      className="linkish"
                      aria-label={`Show the dead letters of ${c.client_id}`}
                      onClick={() => {
                        setCursors([]);
                        setClientId(c.client_id);
                      }}
                    >
                      {c.client_id}
                    </button>
                  ),
                },
                { key: 'count', header: 'Parked', className: 'num', cell: (c) => c.count },
              ]}
            />
            <div className="toolbar">
              <label>
                Sink
                <select
                  value={sink}
                  onChange={(e) => {
                    setCursors([]);
                    setSink(e.target.value as Sink);
                  }}
                >
                  <option value="">both</option>
                  <option value="clickhouse">clickhouse</option>
                  <option value="bus">bus</option>
                </select>
              </label>
              <label>
                Client id
                <input
                  value={clientId}
                  placeholder="cli_…"
                  onChange={(e) => {
                    setCursors([]);
                    setClientId(e.target.value.trim());
                  }}
                />
              </label>
            </div>
            <DataTable
              caption="Dead-lettered events"
              testId="dlq"
              rows={page.data}
              rowKey={(d) => d.id}
              empty="No parked event matches."
              columns={[
                { key: 'parked', header: 'Parked', cell: (d) => when(d.parked_at) },
                { key: 'sink', header: 'Sink', cell: (d) => d.sink },
                {
                  key: 'event',
                  header: 'Event',
                  cell: (d) => (
                    <>
                      {d.event}
                      <div className="muted mono">{d.event_id}</div>
                    </>
                  ),
                },
                { key: 'client', header: 'Client', className: 'mono', cell: (d) => d.client_id },
                {
                  key: 'error',
                  header: 'Error',
                  cell: (d) => (
                    <>
                      <span className="small">{d.error.slice(0, 160)}</span>
                      <div className="muted">{d.attempts} attempts</div>
                    </>
                  ),
                },
                {
                  key: 'actions',
                  header: 'Actions',
                  className: 'nowrap',
                  cell: (d) => (
                    <>
                      <button
                        type="button"
                        className="small"
                        aria-label={`Retry ${d.event_id}`}
                        onClick={() => retry(d.id, d.event_id)}
                      >
                        Retry
                      </button>{' '}
                      <button
                        type="button"
                        className="danger small"
                        aria-label={`Discard ${d.event_id}`}
                        onClick={() => setDiscarding({ id: d.id, event_id: d.event_id })}
                      >
                        Discard
                      </button>
                    </>
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
      <Dialog
        open={discarding !== null}
        title={`Discard ${discarding?.event_id ?? ''}?`}
        onClose={() => setDiscarding(null)}
      >
        <p>The parked copy is removed for good: the sink never receives this event.</p>
        <div className="actions">
          <button type="button" onClick={() => setDiscarding(null)}>
            Cancel
          </button>
          <button type="button" className="danger" onClick={() => discarding && discard(discarding)}>
            Discard event
          </button>
        </div>
      </Dialog>
    </section>
  );
}
