import { useEffect, useMemo, useRef, useState } from 'react';
import { type ApiProblem, api, must } from '../../lib/api.ts';
import { DataTable } from '../../lib/data-table.tsx';
import { asProblem, Problem, Show, useAsync } from '../../lib/ui.tsx';

/**
 * The shipped templates' names and locales, from their file paths (`<pulse>/<name>.<locale>.subject.liquid`):
 * the subject parts are one line each, so bundling them costs nothing and no API lists built-ins.
 */
const SHIPPED = import.meta.glob('../../../../campaigns/templates/*/*.subject.liquid', {
  eager: true,
  query: '?raw',
  import: 'default',
}) as Record<string, string>;

function shippedTemplates(): Map<string, { pulse: string; locales: string[] }> {
  const out = new Map<string, { pulse: string; locales: string[] }>();
  for (const path of Object.keys(SHIPPED)) {
    const m = /\/([^/]+)\/([^/]+)\.([A-Za-z-]+)\.subject\.liquid$/.exec(path);
    if (!m) continue;
    const [, pulse, name, locale] = m as unknown as [string, string, string, string];
    const entry = out.get(name) ?? { pulse, locales: [] };
    entry.locales.push(locale);
    out.set(name, entry);
  }
  return out;
}

interface Row {
  name: string;
  locales: string[];
  origin: string;
}

/** Notification templates: the client's and the shipped ones, each previewed per locale with sample data. */
export function Templates() {
  const list = useAsync(
    () => must(api().GET('/v1/notifications/templates', { params: { query: { limit: 100 } } })),
    [],
  );
  const shipped = useMemo(shippedTemplates, []);
  const [open, setOpen] = useState<Row | null>(null);
  return (
    <section className="panel" aria-labelledby="tpl-h">
      <h2 id="tpl-h">Notification templates</h2>
      {open ? <TemplatePreview key={open.name} template={open} /> : null}
      <Show value={list} what="templates">
        {(page) => {
          const own = new Map(page.data.map((t) => [t.name, t]));
          const rows: Row[] = [
            ...page.data.map((t) => ({
              name: t.name,
              locales: t.locales,
              origin: t.built_in ? `v${t.latest_version} (overrides the built-in)` : `v${t.latest_version}`,
            })),
            ...[...shipped]
              .filter(([name]) => !own.has(name))
              .map(([name, s]) => ({ name, locales: s.locales.sort(), origin: `built-in (${s.pulse})` })),
          ].sort((a, b) => a.name.localeCompare(b.name));
          return (
            <DataTable
              caption="Notification templates"
              testId="templates"
              rows={rows}
              rowKey={(r) => r.name}
              empty="No template."
              compact
              columns={[
                { key: 'name', header: 'Name', className: 'mono', cell: (r) => r.name },
                { key: 'origin', header: 'Version', cell: (r) => r.origin },
                { key: 'locales', header: 'Locales', cell: (r) => r.locales.join(', ') },
                {
                  key: 'preview',
                  header: 'Action',
                  cell: (r) => (
                    <button
                      type="button"
                      className="small"
                      aria-label={`Preview ${r.name}`}
                      onClick={() => setOpen(r)}
                    >
                      Preview
                    </button>
                  ),
                },
              ]}
            />
          );
        }}
      </Show>
    </section>
  );
}

interface Draft {
  subject: string;
  text: string;
  html: string;
}

/**
 * The server's rendering (the sender's renderer, strict variables) of the published version or of a draft,
 * re-rendered as one types; HTML in a sandboxed frame (no script, no same origin), the text beside it.
 */
function TemplatePreview({ template }: { template: Row }) {
  const [locale, setLocale] = useState(template.locales[0] ?? 'en');
  const [draft, setDraft] = useState<Draft | null>(null);
  const [data, setData] = useState('');
  const [shown, setShown] = useState<{
    subject: string;
    text: string;
    html: string | null;
    source: string;
    locale: string;
    variables: string[];
    data: Record<string, unknown>;
  } | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  // Opened from a row far down the list: brought into view, above the list.
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => box.current?.scrollIntoView({ block: 'start' }), []);

  useEffect(() => {
    let parsed: Record<string, unknown> | undefined;
    if (data.trim()) {
      try {
        parsed = JSON.parse(data) as Record<string, unknown>;
      } catch {
        setProblem({ status: 400, code: 'VALIDATION_FAILED', message: 'the sample data is not JSON' });
        return;
      }
    }
    if (draft && (!draft.subject.trim() || !draft.text.trim())) {
      setShown(null);
      setProblem(null);
      return;
    }
    let stale = false;
    // A short pause: one request per burst of typing, not per key.
    const timer = setTimeout(async () => {
      try {
        const res = await must(
          api().POST('/v1/notifications/templates/{name}/preview', {
            params: { path: { name: template.name } },
            body: {
              locale,
              ...(draft
                ? {
                    source: {
                      subject: draft.subject,
                      text: draft.text,
                      ...(draft.html ? { html: draft.html } : {}),
                    },
                  }
                : {}),
              ...(parsed ? { data: parsed } : {}),
            },
          }),
        );
        if (stale) return;
        setShown(res);
        setProblem(null);
      } catch (err) {
        if (!stale) setProblem(asProblem(err));
      }
    }, 250);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [template.name, locale, draft, data]);

  const startDraft = async () => {
    const versions = await must(
      api().GET('/v1/notifications/templates/{name}', { params: { path: { name: template.name } } }),
    ).catch(() => null);
    const latest = versions?.versions.find((v) => v.locale === locale);
    // The client's own source when it has one; a built-in's files are not served, so its draft starts empty.
    setDraft({ subject: latest?.subject ?? '', text: latest?.text ?? '', html: latest?.html ?? '' });
  };
  const publish = async () => {
    if (!draft) return;
    try {
      const res = await must(
        api().PUT('/v1/notifications/templates/{name}', {
          params: { path: { name: template.name } },
          body: {
            locale,
            subject: draft.subject,
            text: draft.text,
            ...(draft.html ? { html: draft.html } : {}),
          },
        }),
      );
      setSaved(
        `Published version ${res.version} of ${template.name} (${locale}); journeys started from now use it.`,
      );
      setDraft(null);
    } catch (err) {
      setProblem(asProblem(err));
    }
  };

  return (
    <div className="preview" data-testid="template-preview" ref={box}>
      <h3>{template.name}</h3>
      <div className="toolbar">
        <label>
          Locale
          <select value={locale} onChange={(e) => setLocale(e.target.value)}>
            {[...new Set([...template.locales, 'en'])].map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </label>
        {draft ? (
          <>
            <button type="button" className="primary" onClick={() => void publish()}>
              Publish draft
            </button>
            <button type="button" onClick={() => setDraft(null)}>
              Discard draft
            </button>
          </>
        ) : (
          <button type="button" onClick={() => void startDraft()}>
            Edit a draft
          </button>
        )}
      </div>
      {saved ? (
        <p className="state" role="status">
          {saved}
        </p>
      ) : null}
      {draft ? (
        <fieldset className="stack">
          <legend>Draft</legend>
          <label htmlFor="tpl-subject">Subject (Liquid)</label>
          <input
            id="tpl-subject"
            className="mono"
            value={draft.subject}
            onChange={(e) => setDraft({ ...draft, subject: e.target.value })}
          />
          <label htmlFor="tpl-text">Text part</label>
          <textarea
            id="tpl-text"
            rows={5}
            className="mono"
            value={draft.text}
            onChange={(e) => setDraft({ ...draft, text: e.target.value })}
          />
          <label htmlFor="tpl-html">HTML part (optional)</label>
          <textarea
            id="tpl-html"
            rows={5}
            className="mono"
            value={draft.html}
            onChange={(e) => setDraft({ ...draft, html: e.target.value })}
          />
        </fieldset>
      ) : null}
      <details>
        <summary>Sample data</summary>
        <label htmlFor="tpl-data">
          Values as JSON (empty: a sample derived from the template’s variables)
        </label>
        <textarea
          id="tpl-data"
          rows={4}
          className="mono"
          value={data}
          placeholder={shown ? JSON.stringify(shown.data) : ''}
          onChange={(e) => setData(e.target.value)}
        />
      </details>
      {problem ? <Problem problem={problem} /> : null}
      {draft && !shown && !problem ? (
        <p className="muted">Write a subject and a text part to preview the draft.</p>
      ) : null}
      {shown ? (
        <div data-testid="rendered">
          <p className="muted">
            Rendered{' '}
            {shown.source === 'draft'
              ? 'draft'
              : shown.source === 'client'
                ? 'published version'
                : 'built-in'}{' '}
            in <strong>{shown.locale}</strong>
            {shown.variables.length ? <> · reads {shown.variables.join(', ')}</> : null}
          </p>
          <p>
            <strong>Subject:</strong> <span data-testid="rendered-subject">{shown.subject}</span>
          </p>
          <div className="grid two">
            {shown.html ? (
              <iframe
                title={`${template.name} ${shown.locale} HTML preview`}
                sandbox=""
                srcDoc={shown.html}
                className="mail"
              />
            ) : null}
            <div>
              <h4>Text alternative</h4>
              <pre className="code small" data-testid="rendered-text">
                {shown.text}
              </pre>
            </div>
          </div>
        </div>
      ) : null}
    </div>
  );
}
