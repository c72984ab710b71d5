import { type FormEvent, useState } from 'react';
import { type ApiProblem, api, must } from '../../lib/api.ts';
import { DataTable } from '../../lib/data-table.tsx';
import { asProblem, Dialog, Problem, Show, StatusBadge, useAsync, when } from '../../lib/ui.tsx';
import { ROLES, type Role } from './roles.ts';

interface Shown {
  key: string;
  id: string;
  signing_secret?: string;
  /** A rotation: the key it replaces stays valid until then. */
  replaces?: { prefix: string; until: string };
}

const OVERLAPS = [
  [0, 'none (the old key stops now)'],
  [3600, '1 hour'],
  [86_400, '1 day'],
  [604_800, '7 days'],
] as const;

/** API keys: create (role as scope, shown once), rotate with an overlap window, revoke. */
export function Keys() {
  const list = useAsync(() => must(api().GET('/v1/api-keys', { params: { query: { limit: 100 } } })), []);
  const [kind, setKind] = useState<'secret' | 'publishable'>('secret');
  const [role, setRole] = useState<Role>('viewer');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<Shown | null>(null);
  const [revoking, setRevoking] = useState<{ id: string; prefix: string } | null>(null);
  const [rotating, setRotating] = useState<{ id: string; prefix: string } | null>(null);
  const [overlap, setOverlap] = useState<number>(86_400);
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
  const rotate = async (target: { id: string; prefix: string }) => {
    setRotating(null);
    setProblem(null);
    try {
      const res = await must(
        api().POST('/v1/api-keys/{id}/rotate', {
          params: { path: { id: target.id } },
          body: { overlap_seconds: overlap },
        }),
      );
      setCreated({
        key: res.key.key,
        id: res.key.id,
        ...(res.key.signing_secret ? { signing_secret: res.key.signing_secret } : {}),
        replaces: { prefix: target.prefix, until: res.previous.overlap_until },
      });
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
          {created.replaces ? (
            <p data-testid="overlap">
              It replaces {created.replaces.prefix}…, which keeps working until{' '}
              <strong>{when(created.replaces.until)}</strong>: deploy the new key before then.
            </p>
          ) : null}
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
          <div>
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
        </div>
      ) : null}
      {problem ? <Problem problem={problem} /> : null}
      <Show value={list} what="keys">
        {(page) => (
          <DataTable
            caption="API keys"
            rows={page.data}
            rowKey={(k) => k.id}
            empty="No key yet."
            columns={[
              { key: 'key', header: 'Key', className: 'mono', cell: (k) => `${k.key_prefix}…` },
              { key: 'name', header: 'Name', cell: (k) => k.name ?? '—' },
              { key: 'kind', header: 'Kind / role', cell: (k) => `${k.kind}${k.role ? ` · ${k.role}` : ''}` },
              { key: 'created', header: 'Created', cell: (k) => when(k.created_at) },
              {
                key: 'state',
                header: 'State',
                cell: (k) =>
                  k.revoked_at ? (
                    <StatusBadge status="revoked" />
                  ) : k.overlap_until ? (
                    <>
                      <StatusBadge status="retrying" />
                      <div className="muted">rotated: valid until {when(k.overlap_until)}</div>
                    </>
                  ) : (
                    <StatusBadge status="active" />
                  ),
              },
              {
                key: 'action',
                header: 'Action',
                className: 'nowrap',
                cell: (k) =>
                  k.revoked_at || k.overlap_until ? null : (
                    <>
                      <button
                        type="button"
                        className="small"
                        onClick={() => setRotating({ id: k.id, prefix: k.key_prefix })}
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
                  ),
              },
            ]}
          />
        )}
      </Show>
      <Dialog
        open={rotating !== null}
        title={`Rotate ${rotating?.prefix ?? ''}…?`}
        onClose={() => setRotating(null)}
      >
        <p>
          A new key with the same kind, role, scopes and name is issued and shown once. The old one keeps
          working for the overlap you choose, so servers can switch without an outage.
        </p>
        <label htmlFor="rotate-overlap">Old key stays valid for</label>
        <select id="rotate-overlap" value={overlap} onChange={(e) => setOverlap(Number(e.target.value))}>
          {OVERLAPS.map(([s, label]) => (
            <option key={s} value={s}>
              {label}
            </option>
          ))}
        </select>
        <div className="actions">
          <button type="button" onClick={() => setRotating(null)}>
            Cancel
          </button>
          <button type="button" className="primary" onClick={() => rotating && void rotate(rotating)}>
            Rotate key
          </button>
        </div>
      </Dialog>
      <Dialog
        open={revoking !== null}
        title={`Revoke ${revoking?.prefix ?? ''}…?`}
        onClose={() => setRevoking(null)}
      >
        <p>
          Requests with this key fail at once, on every server. To replace a key without a gap, rotate it.
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
