import { type FormEvent, useState } from 'react';
import { type ApiProblem, api, must } from '../../lib/api.ts';
import { DataTable } from '../../lib/data-table.tsx';
import { useSession } from '../../lib/session.tsx';
import { asProblem, Dialog, Problem, Show, useAsync, when } from '../../lib/ui.tsx';
import { ROLES, type Role } from './roles.ts';

interface Target {
  id: string;
  email: string;
  role: Role;
}

/** Why a change was refused, in words a member acts on (LAST_OWNER is the one people hit). */
function explain(p: ApiProblem): ApiProblem {
  if (p.code === 'LAST_OWNER')
    return {
      ...p,
      message:
        'This is the last owner: a client always keeps one. Make another member owner first (Transfer ownership), then change or remove this one.',
    };
  return p;
}

/** Members (role change, removal, ownership transfer), direct adds and email invites (pending, revoke). */
export function Members() {
  const { who } = useSession();
  const myEmail = who?.via === 'session' ? who.session.user.email : null;
  const list = useAsync(() => must(api().GET('/v1/members', { params: { query: { limit: 100 } } })), []);
  const invites = useAsync(
    () => must(api().GET('/v1/member-invites', { params: { query: { limit: 100 } } })),
    [],
  );
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [editing, setEditing] = useState<Target | null>(null);
  const [newRole, setNewRole] = useState<Role>('viewer');
  const [removing, setRemoving] = useState<Target | null>(null);
  const [handing, setHanding] = useState<Target | null>(null);

  const act = async (run: () => Promise<string>) => {
    setProblem(null);
    setNotice(null);
    try {
      setNotice(await run());
      list.reload();
      invites.reload();
    } catch (err) {
      setProblem(explain(asProblem(err)));
    }
  };
  const add = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      const res = await must(api().POST('/v1/members', { body: { email, role } }));
      setEmail('');
      return `Invited ${res.member.email}.`;
    });
  };
  const sendLink = () =>
    void act(async () => {
      const res = await must(api().POST('/v1/member-invites', { body: { email, role } }));
      setEmail('');
      return `An invite link was emailed to ${res.invite.email}.`;
    });
  const changeRole = (t: Target, to: Role) => {
    setEditing(null);
    void act(async () => {
      await must(api().PATCH('/v1/members/{id}', { params: { path: { id: t.id } }, body: { role: to } }));
      return `${t.email} is now ${to}.`;
    });
  };
  const remove = (t: Target) => {
    setRemoving(null);
    void act(async () => {
      await must(api().DELETE('/v1/members/{id}', { params: { path: { id: t.id } } }));
      return `${t.email} was removed; their keys are revoked and their sessions ended.`;
    });
  };
  const transfer = (t: Target) => {
    setHanding(null);
    void act(async () => {
      const res = await must(
        api().POST('/v1/members/{id}/transfer-ownership', { params: { path: { id: t.id } } }),
      );
      return `${res.owner.email} is now an owner${res.previous ? `; ${res.previous.email} became admin` : ''}.`;
    });
  };

  return (
    <section className="panel" aria-labelledby="members-h">
      <h2 id="members-h">Members and invites</h2>
      <form className="toolbar" onSubmit={add} aria-label="Invite a member">
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
        <button type="button" disabled={!email} onClick={sendLink}>
          Send a sign-up link by email
        </button>
      </form>
      {notice ? (
        <p className="state" role="status">
          {notice}
        </p>
      ) : null}
      {problem ? <Problem problem={problem} /> : null}
      <Show value={list} what="members">
        {(page) => (
          <DataTable
            caption="Members"
            rows={page.data}
            rowKey={(m) => m.id}
            empty="No member yet."
            columns={[
              {
                key: 'email',
                header: 'Email',
                cell: (m) => (
                  <>
                    {m.email}
                    {m.email === myEmail ? <span className="badge">you</span> : null}
                  </>
                ),
              },
              { key: 'role', header: 'Role', cell: (m) => m.role },
              { key: 'since', header: 'Since', cell: (m) => when(m.created_at) },
              {
                key: 'actions',
                header: 'Actions',
                className: 'nowrap',
                cell: (m) => {
                  const t = { id: m.id, email: m.email, role: m.role };
                  // "Change role" carries no per-row label: the row says whose it is, and a label naming
                  // "role" would make the invite form's Role field ambiguous to label lookups.
                  return (
                    <>
                      <button
                        type="button"
                        className="small"
                        onClick={() => {
                          setNewRole(m.role);
                          setEditing(t);
                        }}
                      >
                        Change role
                      </button>{' '}
                      {m.role === 'owner' ? null : (
                        <>
                          <button
                            type="button"
                            className="small"
                            aria-label={`Transfer ownership to ${m.email}`}
                            onClick={() => setHanding(t)}
                          >
                            Transfer ownership
                          </button>{' '}
                        </>
                      )}
                      <button
                        type="button"
                        className="danger small"
                        aria-label={`Remove ${m.email}`}
                        onClick={() => setRemoving(t)}
                      >
                        Remove
                      </button>
                    </>
                  );
                },
              },
            ]}
          />
        )}
      </Show>
      <h3>Pending invites</h3>
      <Show value={invites} what="invites">
        {(page) => (
          <DataTable
            caption="Pending invites"
            rows={page.data.filter((i) => !i.accepted_at && !i.revoked_at)}
            rowKey={(i) => i.id}
            empty="No invite waiting to be accepted."
            columns={[
              { key: 'email', header: 'Email', cell: (i) => i.email },
              { key: 'role', header: 'Role', cell: (i) => i.role },
              { key: 'expires', header: 'Link expires', cell: (i) => when(i.expires_at) },
              {
                key: 'revoke',
                header: 'Action',
                cell: (i) => (
                  <button
                    type="button"
                    className="danger small"
                    aria-label={`Revoke link sent to ${i.email}`}
                    onClick={() =>
                      void act(async () => {
                        await must(
                          api().DELETE('/v1/member-invites/{id}', { params: { path: { id: i.id } } }),
                        );
                        return `The invite of ${i.email} no longer works.`;
                      })
                    }
                  >
                    Revoke link
                  </button>
                ),
              },
            ]}
          />
        )}
      </Show>
      <p className="muted">
        Roles, highest first: owner, admin, manager (approvals, deploys), analyst (dashboards), viewer (read
        only); billing sees usage and billing only. A client always keeps at least one owner.
      </p>
      <Dialog
        open={editing !== null}
        title={`Change the access of ${editing?.email ?? ''}`}
        onClose={() => setEditing(null)}
      >
        <label htmlFor="member-new-role">New role</label>
        <select id="member-new-role" value={newRole} onChange={(e) => setNewRole(e.target.value as Role)}>
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
        <p className="muted">The member’s own keys follow the new role.</p>
        <div className="actions">
          <button type="button" onClick={() => setEditing(null)}>
            Cancel
          </button>
          <button type="button" className="primary" onClick={() => editing && changeRole(editing, newRole)}>
            Save role
          </button>
        </div>
      </Dialog>
      <Dialog
        open={removing !== null}
        title={`Remove ${removing?.email ?? ''}?`}
        onClose={() => setRemoving(null)}
      >
        <p>Their keys are revoked and their sessions in this client end at once.</p>
        <div className="actions">
          <button type="button" onClick={() => setRemoving(null)}>
            Cancel
          </button>
          <button type="button" className="danger" onClick={() => removing && remove(removing)}>
            Remove member
          </button>
        </div>
      </Dialog>
      <Dialog
        open={handing !== null}
        title={`Make ${handing?.email ?? ''} an owner?`}
        onClose={() => setHanding(null)}
      >
        <p>They become an owner. If you are an owner handing over, you become admin.</p>
        <div className="actions">
          <button type="button" onClick={() => setHanding(null)}>
            Cancel
          </button>
          <button type="button" className="primary" onClick={() => handing && transfer(handing)}>
            Transfer ownership
          </button>
        </div>
      </Dialog>
    </section>
  );
}
