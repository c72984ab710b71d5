import { type FormEvent, useState } from 'react';
import { api, must } from '../../lib/api.ts';
import { DataTable } from '../../lib/data-table.tsx';
import { Show, useAsync, when } from '../../lib/ui.tsx';

interface Filters {
  action: string;
  route: string;
  since: string;
  until: string;
}
const NONE: Filters = { action: '', route: '', since: '', until: '' };

/** The filters as the API's query: empty fields left out, local datetimes as ISO instants. */
function queryOf(f: Filters): Record<string, string> {
  const q: Record<string, string> = {};
  if (f.action) q.action = f.action;
  if (f.route) q.route = f.route;
  if (f.since) q.since = new Date(f.since).toISOString();
  if (f.until) q.until = new Date(f.until).toISOString();
  return q;
}

/** `GET /v1/audit`: who changed what, filtered, cursor-paged, with CSV and JSON-lines exports. */
export function AuditLog() {
  const [draft, setDraft] = useState<Filters>(NONE);
  const [applied, setApplied] = useState<Filters>(NONE);
  // The cursors of the pages before this one, so "Newer" goes back without the API paging backwards.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const page = useAsync(
    () =>
      must(
        api().GET('/v1/audit', {
          params: {
            query: { ...queryOf(applied), limit: 25, ...(cursor ? { starting_after: cursor } : {}) },
          },
        }),
      ),
    [applied, cursor],
  );
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setCursors([]);
    setApplied(draft);
  };
  const exportQuery = new URLSearchParams(queryOf(applied)).toString();
  const field = (k: keyof Filters) => ({
    value: draft[k],
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value }),
  });
  return (
    <section className="panel" aria-labelledby="audit-h">
      <h2 id="audit-h">Audit log</h2>
      <form className="toolbar" onSubmit={apply} aria-label="Filter the audit log">
        <label>
          Action
          <input placeholder="e.g. key.created" {...field('action')} />
        </label>
        <label>
          Route
          <input placeholder="/v1/api-keys/:id" {...field('route')} />
        </label>
        <label>
          From
          <input type="datetime-local" {...field('since')} />
        </label>
        <label>
          Until
          <input type="datetime-local" {...field('until')} />
        </label>
        <button type="submit" className="primary">
          Filter
        </button>
      </form>
      <p>
        Export what the filters select:{' '}
        <a href={`/v1/audit/export.csv${exportQuery ? `?${exportQuery}` : ''}`} download>
          CSV
        </a>{' '}
        ·{' '}
        <a href={`/v1/audit/export.jsonl${exportQuery ? `?${exportQuery}` : ''}`} download>
          JSON lines
        </a>
      </p>
      <Show value={page} what="the audit log">
        {(p) => (
          <>
            <DataTable
              caption="Audit log entries"
              testId="audit-table"
              rows={p.data}
              rowKey={(e) => e.id}
              empty="No change recorded for these filters."
              columns={[
                { key: 'when', header: 'When', cell: (e) => when(e.created_at) },
                {
                  key: 'who',
                  header: 'Who',
                  cell: (e) => (
                    <>
                      {e.actor.kind}
                      <div className="muted mono">{e.actor.member_id ?? e.actor.key_id ?? ''}</div>
                    </>
                  ),
                },
                { key: 'action', header: 'Action', className: 'mono', cell: (e) => e.action },
                {
                  key: 'route',
                  header: 'Route',
                  cell: (e) => (
                    <span className="mono wrap-any">
                      {e.method} {e.route}
                    </span>
                  ),
                },
                { key: 'status', header: 'Status', className: 'num', cell: (e) => e.status },
                {
                  key: 'target',
                  header: 'Target',
                  cell: (e) => <code className="small wrap-any">{JSON.stringify(e.target)}</code>,
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
                disabled={!p.has_more || !p.next_cursor}
                onClick={() => p.next_cursor && setCursors([...cursors, p.next_cursor])}
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
