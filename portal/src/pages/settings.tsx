import { type FormEvent, useState } from 'react';
import { type ApiProblem, api, must } from '../lib/api.ts';
import { Link } from '../lib/router.tsx';
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

const ROLES = ['owner', 'admin', 'manager', 'analyst', 'viewer', 'billing'] as const;
type Role = (typeof ROLES)[number];

const TABS = [
  ['members', 'Members'],
  ['keys', 'API keys'],
  ['webhooks', 'Webhooks'],
  ['templates', 'Templates'],
  ['events', 'Custom events'],
  ['sdk', 'SDK snippet'],
] as const;

/** The client's settings, one tab each. */
export function SettingsPage({ tab = 'members' }: { tab?: string }) {
  return (
    <>
      <PageHeader title="Settings" />
      <nav aria-label="Settings" className="tabs">
        {TABS.map(([id, label]) => (
          <Link key={id} href={`/settings/${id}`} aria-current={tab === id ? 'page' : undefined}>
            {label}
          </Link>
        ))}
      </nav>
      {tab === 'members' ? <Members /> : null}
      {tab === 'keys' ? <Keys /> : null}
      {tab === 'webhooks' ? <Webhooks /> : null}
      {tab === 'templates' ? <Templates /> : null}
      {tab === 'events' ? <EventTypes /> : null}
      {tab === 'sdk' ? <Snippet /> : null}
    </>
  );
}

function Members() {
  const list = useAsync(() => must(api().GET('/v1/members')), []);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [invited, setInvited] = useState<string | null>(null);
  const invite = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    try {
      const res = await must(api().POST('/v1/members', { body: { email, role } }));
      setInvited(res.member.email);
      setEmail('');
      list.reload();
    } catch (err) {
      setProblem(asProblem(err));
    }
  };
  return (
    <section className="panel" aria-labelledby="members-h">
      <h2 id="members-h">Members and invites</h2>
      <form className="toolbar" onSubmit={invite} aria-label="Invite a member">
        <label>
          Email
          <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary">
          Invite
        </button>
      </form>
      {invited ? (
        <p className="state" role="status">
          Invited {invited}.
        </p>
      ) : null}
      {problem ? <Problem problem={problem} /> : null}
      <Show value={list} what="members">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No member yet.</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Since</th>
                </tr>
              </thead>
              <tbody>
                {page.data.map((m) => (
                  <tr key={m.id}>
                    <td>{m.email}</td>
                    <td>{m.role}</td>
                    <td>{when(m.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Show>
      <p className="muted">
        Roles, highest first: owner, admin, manager (approvals, deploys), analyst (dashboards), viewer (read
        only); billing sees usage and billing only.
      </p>
    </section>
  );
}

function Keys() {
  const list = useAsync(() => must(api().GET('/v1/api-keys')), []);
  const [kind, setKind] = useState<'secret' | 'publishable'>('secret');
  const [role, setRole] = useState<Role>('viewer');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ key: string; id: string; signing_secret?: string } | null>(null);
  const [revoking, setRevoking] = useState<{ id: string; prefix: string } | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    try {
      const res = await must(
        api().POST('/v1/api-keys', {
          body: { kind, ...(kind === 'secret' ? { role } : {}), ...(name ? { name } : {}) },
        }),
      );
      setCreated({
        key: res.key.key,
        id: res.key.id,
        ...(res.key.signing_secret ? { signing_secret: res.key.signing_secret } : {}),
      });
      setName('');
      list.reload();
    } catch (err) {
      setProblem(asProblem(err));
    }
  };
  const revoke = async (id: string) => {
    try {
      await must(api().DELETE('/v1/api-keys/{id}', { params: { path: { id } } }));
      list.reload();
    } catch (err) {
      setProblem(asProblem(err));
    }
    setRevoking(null);
  };
  return (
    <section className="panel" aria-labelledby="keys-h">
      <h2 id="keys-h">API keys</h2>
      <form className="toolbar" onSubmit={create} aria-label="Create an API key">
        <label>
          Kind
          <select value={kind} onChange={(e) => setKind(e.target.value as 'secret' | 'publishable')}>
            <option value="secret">secret (server)</option>
            <option value="publishable">publishable (browser)</option>
          </select>
        </label>
        {kind === 'secret' ? (
          <label>
            Role (scope)
            <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </label>
        ) : null}
        <label>
          Name
          <input
            value={name}
            maxLength={100}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. backend"
          />
        </label>
        <button type="submit" className="primary">
          Create key
        </button>
      </form>
      {created ? (
        <div className="once" role="status">
          <p>
            <strong>Copy the key now: it is shown once.</strong>
          </p>
          <label htmlFor="new-key">New key</label>
          <input
            id="new-key"
            readOnly
            value={created.key}
            className="mono"
            onFocus={(e) => e.target.select()}
          />
          {created.signing_secret ? (
            <>
              <label htmlFor="new-secret">Signing secret</label>
              <input id="new-secret" readOnly value={created.signing_secret} className="mono" />
            </>
          ) : null}
          <button
            type="button"
            className="small"
            onClick={() => void navigator.clipboard?.writeText(created.key)}
          >
            Copy
          </button>{' '}
          <button type="button" className="small" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      ) : null}
      {problem ? <Problem problem={problem} /> : null}
      <Show value={list} what="keys">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No key yet.</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Name</th>
                  <th scope="col">Kind / role</th>
                  <th scope="col">Created</th>
                  <th scope="col">State</th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {page.data.map((k) => (
                  <tr key={k.id}>
                    <td className="mono">{k.key_prefix}…</td>
                    <td>{k.name ?? '—'}</td>
                    <td>
                      {k.kind} {k.role ? `· ${k.role}` : ''}
                    </td>
                    <td>{when(k.created_at)}</td>
                    <td>
                      {k.revoked_at ? <StatusBadge status="revoked" /> : <StatusBadge status="active" />}
                    </td>
                    <td className="nowrap">
                      {k.revoked_at ? null : (
                        <>
                          <button
                            type="button"
                            className="small"
                            title="Create a key of the same kind and role, then revoke this one"
                            onClick={() => {
                              setKind(k.kind === 'publishable' ? 'publishable' : 'secret');
                              if (k.role) setRole(k.role as Role);
                              setName(`${k.name ?? k.key_prefix} (rotated)`);
                              setRevoking({ id: k.id, prefix: k.key_prefix });
                            }}
                          >
                            Rotate
                          </button>{' '}
                          <button
                            type="button"
                            className="danger small"
                            onClick={() => setRevoking({ id: k.id, prefix: k.key_prefix })}
                          >
                            Revoke
                          </button>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Show>
      <Dialog
        open={revoking !== null}
        title={`Revoke ${revoking?.prefix ?? ''}…?`}
        onClose={() => setRevoking(null)}
      >
        <p>
          Requests with this key fail at once, on every server. To rotate, create the new key first (the form
          is filled in), then revoke.
        </p>
        <div className="actions">
          <button type="button" onClick={() => setRevoking(null)}>
            Cancel
          </button>
          <button type="button" className="danger" onClick={() => revoking && void revoke(revoking.id)}>
            Revoke
          </button>
        </div>
      </Dialog>
    </section>
  );
}

function Webhooks() {
  const [url, setUrl] = useState('');
  const [topics, setTopics] = useState('');
  const [created, setCreated] = useState<{ id: string; url: string; secret: string } | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const log = useAsync(() => must(api().GET('/v1/notifications', { params: { query: { limit: 50 } } })), []);
  const add = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    try {
      const t = topics
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const res = await must(
        api().POST('/v1/notifications/webhook-endpoints', {
          body: { url, ...(t.length ? { topics: t } : {}) },
        }),
      );
      setCreated({ id: res.id, url: res.url, secret: res.secret });
      setUrl('');
    } catch (err) {
      setProblem(asProblem(err));
    }
  };
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
      {created ? (
        <div className="once" role="status">
          <p>
            <strong>Endpoint {created.url} added. Copy its signing secret now: it is shown once.</strong>
          </p>
          <label htmlFor="hook-secret">Signing secret</label>
          <input id="hook-secret" readOnly value={created.secret} className="mono" />
        </div>
      ) : null}
      {problem ? <Problem problem={problem} /> : null}
      <p className="muted">Listing and removing endpoints is not available in the API yet.</p>
      <h3>Delivery log</h3>
      <Show value={log} what="deliveries">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>Nothing delivered yet.</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Channel</th>
                    <th scope="col">Template</th>
                    <th scope="col">Participant</th>
                    <th scope="col">Status</th>
                    <th scope="col">Attempts</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((d) => (
                    <tr key={d.id}>
                      <td>{when(d.created_at)}</td>
                      <td>{d.channel}</td>
                      <td>{d.template}</td>
                      <td>{d.participant_id ?? '—'}</td>
                      <td>
                        <StatusBadge status={d.status} />
                        {d.last_error ? <div className="muted">{d.last_error}</div> : null}
                      </td>
                      <td>{d.attempts}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
    </section>
  );
}

function Templates() {
  const list = useAsync(() => must(api().GET('/v1/notifications/templates')), []);
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section className="panel" aria-labelledby="tpl-h">
      <h2 id="tpl-h">Notification templates</h2>
      <Show value={list} what="templates">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No template.</Empty>
          ) : (
            <ul className="cards">
              {page.data.map((t) => (
                <li key={t.name}>
                  <button type="button" className="linkish" onClick={() => setOpen(t.name)}>
                    {t.name}
                  </button>{' '}
                  {t.built_in ? (
                    <span className="badge">built-in</span>
                  ) : (
                    <span className="badge">v{t.latest_version}</span>
                  )}
                  <div className="muted">{t.locales.join(', ')}</div>
                </li>
              ))}
            </ul>
          )
        }
      </Show>
      {open ? <TemplatePreview name={open} /> : null}
    </section>
  );
}

function TemplatePreview({ name }: { name: string }) {
  const t = useAsync(
    () => must(api().GET('/v1/notifications/templates/{name}', { params: { path: { name } } })),
    [name],
  );
  const [locale, setLocale] = useState<string | null>(null);
  return (
    <Show value={t} what="the template">
      {(tv) => {
        const locales = [...new Set(tv.versions.map((v) => v.locale))];
        const current = locale ?? locales[0] ?? null;
        const v = tv.versions.find((x) => x.locale === current);
        return (
          <div className="preview">
            <h3>{tv.name}</h3>
            {locales.length === 0 ? (
              <Empty>
                Built-in only ({tv.built_in_locales.join(', ')}); the client has not published its own
                version.
              </Empty>
            ) : (
              <>
                <label>
                  Locale{' '}
                  <select value={current ?? ''} onChange={(e) => setLocale(e.target.value)}>
                    {locales.map((l) => (
                      <option key={l}>{l}</option>
                    ))}
                  </select>
                </label>
                {v ? (
                  <>
                    <p>
                      <strong>Subject:</strong> {v.subject}
                    </p>
                    {v.html ? (
                      <iframe
                        title={`${tv.name} ${current} preview`}
                        sandbox=""
                        srcDoc={v.html}
                        className="mail"
                      />
                    ) : (
                      <pre className="code small">{v.text}</pre>
                    )}
                  </>
                ) : null}
              </>
            )}
          </div>
        );
      }}
    </Show>
  );
}

function EventTypes() {
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
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No custom event declared. Campaigns may declare theirs in an `events:` block.</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Version</th>
                  <th scope="col">Source</th>
                  <th scope="col">Description</th>
                </tr>
              </thead>
              <tbody>
                {page.data.map((t) => (
                  <tr key={t.name}>
                    <td className="mono">{t.name}</td>
                    <td>v{t.version}</td>
                    <td>{t.source}</td>
                    <td>{t.description ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
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

function Snippet() {
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
