import { type FormEvent, useState } from 'react';
import { type ApiProblem, api, must } from '../../lib/api.ts';
import { DataTable } from '../../lib/data-table.tsx';
import { asProblem, Empty, Problem, Show, useAsync } from '../../lib/ui.tsx';

/** Custom event declarations (`PUT /v1/event-types/:name`), listed with their version and source. */
export function EventTypes() {
  const list = useAsync(() => must(api().GET('/v1/event-types')), []);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [schema, setSchema] = useState('{\n  "type": "object",\n  "properties": {}\n}');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    let properties: Record<string, unknown>;
    try {
      properties = JSON.parse(schema) as Record<string, unknown>;
    } catch {
      setProblem({ status: 400, code: 'VALIDATION_FAILED', message: 'the properties schema is not JSON' });
      return;
    }
    try {
      await must(
        api().PUT('/v1/event-types/{name}', {
          params: { path: { name } },
          body: { description, properties },
        }),
      );
      setName('');
      list.reload();
    } catch (err) {
      setProblem(asProblem(err));
    }
  };
  return (
    <section className="panel" aria-labelledby="events-h">
      <h2 id="events-h">Custom events</h2>
      <Show value={list} what="event types">
        {(page) => (
          <DataTable
            caption="Custom event types"
            rows={page.data}
            rowKey={(t) => t.name}
            empty="No custom event declared. Campaigns may declare theirs in an `events:` block."
            columns={[
              { key: 'name', header: 'Name', className: 'mono', cell: (t) => t.name },
              { key: 'version', header: 'Version', cell: (t) => `v${t.version}` },
              { key: 'source', header: 'Source', cell: (t) => t.source },
              { key: 'description', header: 'Description', cell: (t) => t.description ?? '—' },
            ]}
          />
        )}
      </Show>
      <form onSubmit={save} aria-label="Declare a custom event" className="stack">
        <h3>Declare an event</h3>
        <label htmlFor="ev-name">Name</label>
        <input
          id="ev-name"
          required
          pattern="[a-z][a-z0-9_]*"
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <label htmlFor="ev-desc">Description</label>
        <input id="ev-desc" value={description} onChange={(e) => setDescription(e.target.value)} />
        <label htmlFor="ev-schema">Properties (JSON Schema)</label>
        <textarea
          id="ev-schema"
          rows={6}
          className="mono"
          value={schema}
          onChange={(e) => setSchema(e.target.value)}
        />
        <button type="submit" className="primary">
          Save
        </button>
      </form>
      {problem ? <Problem problem={problem} /> : null}
    </section>
  );
}

/** The browser SDK's embed snippet for a publishable key, to copy. */
export function Snippet() {
  const [key, setKey] = useState('');
  const [asked, setAsked] = useState('');
  const [copied, setCopied] = useState(false);
  const s = useAsync(
    () =>
      asked
        ? must(api().GET('/v1/sdk/snippet', { params: { query: { key: asked } } }))
        : Promise.resolve(null),
    [asked],
  );
  return (
    <section className="panel" aria-labelledby="sdk-h">
      <h2 id="sdk-h">SDK snippet</h2>
      <form
        className="toolbar"
        aria-label="Snippet for a publishable key"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked(key.trim());
        }}
      >
        <label>
          Publishable key the pages use
          <input
            required
            pattern="pk_.+"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            placeholder="pk_…"
          />
        </label>
        <button type="submit" className="primary">
          Show snippet
        </button>
      </form>
      <Show value={s} what="the snippet">
        {(sn) =>
          sn ? (
            <>
              <p>Paste into your pages to load the browser SDK v{sn.version} (with subresource integrity).</p>
              <pre className="code">{sn.snippet}</pre>
              <button
                type="button"
                onClick={async () => {
                  await navigator.clipboard?.writeText(sn.snippet);
                  setCopied(true);
                }}
              >
                {copied ? 'Copied' : 'Copy snippet'}
              </button>
            </>
          ) : (
            <Empty>Create a publishable key under API keys, then paste it here.</Empty>
          )
        }
      </Show>
    </section>
  );
}
