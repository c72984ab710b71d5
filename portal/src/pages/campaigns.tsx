import { useState } from 'react';
import { api, must } from '../lib/api.ts';
import { DataTable } from '../lib/data-table.tsx';
import { Link } from '../lib/router.tsx';
import { asProblem, Dialog, PageHeader, Problem, Show, StatusBadge, useAsync, when } from '../lib/ui.tsx';

/** The client's campaigns, with their status and live version. */
export function CampaignsPage() {
  const list = useAsync(() => must(api().GET('/v1/campaigns', { params: { query: { limit: 100 } } })), []);
  return (
    <>
      <PageHeader title="Campaigns">
        <Link className="button primary" href="/campaigns/new">
          New campaign
        </Link>
      </PageHeader>
      <Show value={list} what="campaigns">
        {(page) => (
          <DataTable
            caption="Campaigns"
            rows={page.data}
            rowKey={(c) => c.id}
            empty={
              <>
                <p>No campaign deployed yet.</p>
                <Link className="button primary" href="/campaigns/new">
                  Start from one of the nine pulses
                </Link>
              </>
            }
            columns={[
              {
                key: 'campaign',
                header: 'Campaign',
                cell: (c) => (
                  <>
                    <Link href={`/campaigns/${encodeURIComponent(c.id)}`}>{c.title || c.definition_id}</Link>
                    <div className="muted mono">{c.id}</div>
                  </>
                ),
              },
              { key: 'pulse', header: 'Pulse', cell: (c) => c.pulse },
              { key: 'status', header: 'Status', cell: (c) => <StatusBadge status={c.status} /> },
              { key: 'version', header: 'Live version', cell: (c) => `v${c.current_version}` },
              { key: 'updated', header: 'Updated', cell: (c) => when(c.updated_at) },
            ]}
          />
        )}
      </Show>
    </>
  );
}

type Status = 'draft' | 'active' | 'paused' | 'ended';
const ACTIONS: Record<Status, { to: Status; label: string; danger?: boolean }[]> = {
  draft: [{ to: 'active', label: 'Activate' }],
  active: [
    { to: 'paused', label: 'Pause' },
    { to: 'ended', label: 'Archive', danger: true },
  ],
  paused: [
    { to: 'active', label: 'Resume' },
    { to: 'ended', label: 'Archive', danger: true },
  ],
  ended: [],
};

/** One campaign: versions (who deployed when), status actions, budget and cap usage. */
export function CampaignPage({ id }: { id: string }) {
  const detail = useAsync(() => must(api().GET('/v1/campaigns/{id}', { params: { path: { id } } })), [id]);
  // Deployers are members (their e-mail) or keys (their id); a role that cannot list members sees ids.
  const members = useAsync(
    () =>
      must(api().GET('/v1/members', { params: { query: { limit: 100 } } })).then(
        (page) => new Map(page.data.map((m) => [m.id, m.email])),
        () => new Map<string, string>(),
      ),
    [],
  );
  const deployer = (by: string) => (members.state === 'ready' ? (members.data.get(by) ?? by) : by);
  const budget = useAsync(
    () => must(api().GET('/v1/reward-budgets/{campaignId}', { params: { path: { campaignId: id } } })),
    [id],
  );
  const [confirm, setConfirm] = useState<{ to: Status; label: string } | null>(null);
  const [problem, setProblem] = useState<ReturnType<typeof asProblem> | null>(null);
  const [shown, setShown] = useState<number | null>(null);
  const source = useAsync(
    () =>
      shown === null
        ? Promise.resolve(null)
        : must(
            api().GET('/v1/campaigns/{id}/versions/{version}', { params: { path: { id, version: shown } } }),
          ),
    [id, shown],
  );

  const setStatus = async (to: Status) => {
    setProblem(null);
    try {
      await must(api().POST('/v1/campaigns/{id}/status', { params: { path: { id } }, body: { status: to } }));
      setConfirm(null);
      detail.reload();
    } catch (e) {
      setProblem(asProblem(e));
    }
  };

  return (
    <Show value={detail} what="the campaign">
      {({ campaign, versions }) => (
        <>
          <PageHeader title={campaign.title || campaign.definition_id}>
            <Link className="button primary" href={`/campaigns/${encodeURIComponent(id)}/edit`}>
              Edit YAML
            </Link>
            <Link className="button" href={`/dashboard?campaign=${encodeURIComponent(id)}`}>
              Dashboard
            </Link>
            <Link className="button" href={`/journeys?campaign=${encodeURIComponent(id)}`}>
              Journeys
            </Link>
            {ACTIONS[campaign.status].map((a) => (
              <button
                key={a.to}
                type="button"
                className={a.danger ? 'danger' : ''}
                onClick={() => setConfirm(a)}
              >
                {a.label}
              </button>
            ))}
          </PageHeader>
          <p>
            <StatusBadge status={campaign.status} /> <span className="mono">{campaign.id}</span> · pulse{' '}
            {campaign.pulse} · live version v{campaign.current_version}
          </p>
          <p className="note" role="note">
            Running journeys stay on the version they started with; a deploy or a status change applies to new
            journeys. Pausing stops new journeys and holds new rewards; archiving ends the campaign.
          </p>
          {problem ? <Problem problem={problem} /> : null}
          <div className="grid two">
            <section aria-labelledby="versions-h" className="panel">
              <h2 id="versions-h">Versions</h2>
              <p className="muted small">
                Each journey runs the version it started on, to its end; new journeys start on the live
                version.
              </p>
              <DataTable
                caption="Versions, newest first"
                rows={[...versions].sort((a, b) => b.version - a.version)}
                rowKey={(v) => String(v.version)}
                empty="No version deployed."
                compact
                testId="versions"
                columns={[
                  {
                    key: 'version',
                    header: 'Version',
                    cell: (v) => (
                      <>
                        <button type="button" className="linkish" onClick={() => setShown(v.version)}>
                          v{v.version}
                        </button>
                        {v.version === campaign.current_version ? (
                          <span className="badge badge-active">live</span>
                        ) : null}
                      </>
                    ),
                  },
                  { key: 'by', header: 'Deployed by', cell: (v) => deployer(v.deployed_by) },
                  { key: 'when', header: 'When', cell: (v) => when(v.deployed_at) },
                  { key: 'plan', header: 'Plan', className: 'mono', cell: (v) => v.plan_hash.slice(0, 12) },
                ]}
              />
            </section>
            <section aria-labelledby="budget-h" className="panel">
              <h2 id="budget-h">Budget and caps</h2>
              <Show value={budget} what="the budget">
                {({ budget: b }) => <BudgetBars b={b} />}
              </Show>
            </section>
          </div>
          {shown !== null ? (
            <section className="panel" aria-labelledby="source-h">
              <h2 id="source-h">Source of v{shown}</h2>
              <Show value={source} what="the version">
                {(v) => (v ? <pre className="code">{v.version.source}</pre> : null)}
              </Show>
            </section>
          ) : null}
          <Dialog
            open={confirm !== null}
            title={`${confirm?.label ?? ''} this campaign?`}
            onClose={() => setConfirm(null)}
          >
            <p>
              {confirm?.to === 'ended'
                ? 'Archiving ends the campaign: no new journeys start and it cannot be resumed.'
                : confirm?.to === 'paused'
                  ? 'New journeys stop starting; running journeys stay on their version.'
                  : 'New journeys start on the live version.'}
            </p>
            <div className="actions">
              <button type="button" onClick={() => setConfirm(null)}>
                Cancel
              </button>
              <button
                type="button"
                className={confirm?.to === 'ended' ? 'danger' : 'primary'}
                onClick={() => confirm && void setStatus(confirm.to)}
              >
                {confirm?.label}
              </button>
            </div>
          </Dialog>
        </>
      )}
    </Show>
  );
}

interface Budget {
  currency: string | null;
  budget: number | null;
  allocated: number;
  fulfilled: number;
  remaining: number | null;
  max_winners: number | null;
  winners: number;
}

export function BudgetBars({ b }: { b: Budget }) {
  const money = (n: number | null) => (n === null ? 'no limit' : `${n.toLocaleString()} ${b.currency ?? ''}`);
  const pct = (n: number, of: number | null) => (of ? Math.min(100, Math.round((n / of) * 100)) : 0);
  return (
    <dl className="meters">
      <dt>Spend</dt>
      <dd>
        <meter min={0} max={b.budget ?? 1} value={b.budget ? b.allocated : 0} aria-label="Budget used" />
        {money(b.allocated)} allocated ({money(b.fulfilled)} fulfilled) of {money(b.budget)}
        {b.budget ? ` · ${pct(b.allocated, b.budget)}%` : ''}
      </dd>
      <dt>Winners</dt>
      <dd>
        <meter
          min={0}
          max={b.max_winners ?? 1}
          value={b.max_winners ? b.winners : 0}
          aria-label="Winner cap used"
        />
        {b.winners} of {b.max_winners ?? 'no cap'}
      </dd>
    </dl>
  );
}
