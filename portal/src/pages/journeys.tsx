import { type FormEvent, useState } from 'react';
import type {
  JourneySummary,
  JourneyTrace,
  Notification,
  RewardView,
} from '../../../contract/generated/api.generated.ts';
import { api, must } from '../lib/api.ts';
import { type Column, DataTable } from '../lib/data-table.tsx';
import { Link, navigate, useLocation } from '../lib/router.tsx';
import { Empty, PageHeader, Show, StatusBadge, useAsync, when } from '../lib/ui.tsx';
import { JourneyApprovals } from './journey-approvals.tsx';
import { JourneyTimeline } from './journey-trace.tsx';
import './journeys.css';

/** A workflow id `pulse:<client>:<campaign>:<journey key>` → the journey page's path. */
function journeyPath(workflowId: string): string | null {
  const m = /^pulse:[^:]+:([^:]+):(.+)$/.exec(workflowId.trim());
  return m ? `/journeys/${encodeURIComponent(m[1] ?? '')}/${encodeURIComponent(m[2] ?? '')}` : null;
}

/** The journey page's link, carrying the participant (for its rewards and messages). */
function journeyHref(j: JourneySummary): string | null {
  const path = journeyPath(j.workflow_id);
  return path && j.participant_id ? `${path}?participant=${encodeURIComponent(j.participant_id)}` : path;
}

const STATUSES = [
  'running',
  'completed',
  'failed',
  'terminated',
  'cancelled',
  'timed_out',
  'continued_as_new',
] as const;
type Status = (typeof STATUSES)[number];
const isStatus = (s: string): s is Status => (STATUSES as readonly string[]).includes(s);

const JOURNEY_COLUMNS: Column<JourneySummary>[] = [
  {
    key: 'journey',
    header: 'Journey',
    cell: (j) => {
      const href = journeyHref(j);
      return (
        <>
          {href ? <Link href={href}>{j.journey_key ?? j.workflow_id}</Link> : j.workflow_id}
          <div className="muted mono">{j.campaign_id}</div>
        </>
      );
    },
  },
  { key: 'participant', header: 'Participant', cell: (j) => j.participant_id ?? '—' },
  { key: 'pulse', header: 'Pulse', cell: (j) => j.pulse ?? '—' },
  { key: 'status', header: 'Status', cell: (j) => <StatusBadge status={j.status} /> },
  { key: 'started', header: 'Started', cell: (j) => when(j.started_at), className: 'nowrap' },
];

/** Journeys, newest first: search by participant, filter by campaign and status, or open one by id. */
export function JourneysPage() {
  const { query } = useLocation();
  const participant = query.get('participant') ?? '';
  const campaign = query.get('campaign') ?? '';
  const status = query.get('status') ?? '';
  const [q, setQ] = useState(participant);
  const [c, setC] = useState(campaign);
  const [s, setS] = useState(status);
  const list = useAsync(
    () =>
      must(
        api().GET('/v1/journeys', {
          params: {
            query: {
              limit: 50,
              ...(participant ? { participant_id: participant } : {}),
              ...(campaign ? { campaign_id: campaign } : {}),
              ...(isStatus(status) ? { status } : {}),
            },
          },
        }),
      ),
    [participant, campaign, status],
  );
  const search = (e: FormEvent) => {
    e.preventDefault();
    // A journey id (as Temporal and the logs name it) opens the journey directly.
    const direct = journeyPath(q);
    if (direct) return navigate(direct);
    const p = new URLSearchParams();
    if (q.trim()) p.set('participant', q.trim());
    if (c.trim()) p.set('campaign', c.trim());
    if (s) p.set('status', s);
    navigate(`/journeys${p.size ? `?${p}` : ''}`);
  };
  return (
    <>
      <PageHeader title="Journeys" />
      <form className="toolbar" onSubmit={search} aria-label="Search journeys">
        <label>
          Participant or journey id
          <input value={q} onChange={(e) => setQ(e.target.value)} placeholder="user_42 or pulse:…" />
        </label>
        <label>
          Campaign
          <input value={c} onChange={(e) => setC(e.target.value)} placeholder="campaign id" />
        </label>
        <label>
          Status
          <select value={s} onChange={(e) => setS(e.target.value)}>
            <option value="">any</option>
            {STATUSES.map((x) => (
              <option key={x} value={x}>
                {x.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      <Show value={list} what="journeys">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No journey matches. A journey starts when an event triggers a live campaign.</Empty>
          ) : (
            <DataTable
              caption="Journeys, newest first"
              columns={JOURNEY_COLUMNS}
              rows={page.data}
              rowKey={(j) => j.workflow_id}
              empty="No journey matches."
            />
          )
        }
      </Show>
    </>
  );
}

/**
 * The Temporal Web UI the platform names (PULSE_TEMPORAL_UI_URL, in the page's meta tag); on a
 * developer's machine without one, the local stack's UI.
 */
function temporalUi(): string {
  const configured = document.querySelector<HTMLMetaElement>('meta[name="pulse-temporal-ui"]')?.content ?? '';
  if (configured) return configured.replace(/\/$/, '');
  return ['127.0.0.1', 'localhost', '::1'].includes(location.hostname) ? 'http://127.0.0.1:8233' : '';
}

const CLOSING = new Set(['completed', 'failed', 'terminated', 'cancelled', 'timed_out', 'continued_as_new']);

/** `approval:review` → `the approval of review`; event names as they are. */
function waitingLabel(w: string): string {
  return w.startsWith('approval:') ? `a decision on ${w.slice('approval:'.length)}` : `event ${w}`;
}

/** One journey: status, the step it waits on, its trace, approvals, rewards and messages. */
export function JourneyPage({ campaign, journeyKey }: { campaign: string; journeyKey: string }) {
  const { query } = useLocation();
  const path = { campaignId: campaign, journeyKey };
  const journey = useAsync(
    () => must(api().GET('/v1/journeys/{campaignId}/{journeyKey}', { params: { path } })),
    [campaign, journeyKey],
  );
  const live = useAsync(
    () => must(api().GET('/v1/campaigns/{id}', { params: { path: { id: campaign } } })),
    [campaign],
  );
  const [trace, setTrace] = useState<JourneyTrace | null>(null);
  const [traceKey, setTraceKey] = useState(0);
  // The history can be a moment ahead of the status read before it: once the trace shows the end,
  // the facts above it are read again so both agree.
  const traced = (t: JourneyTrace) => {
    setTrace(t);
    const last = t.data[t.data.length - 1];
    const ended = last && CLOSING.has(last.kind);
    if (ended && journey.state === 'ready' && journey.data.execution_status === 'RUNNING') journey.reload();
  };
  const decided = () => {
    journey.reload();
    // The journey takes a moment to act on the decision; the trace then shows what followed.
    setTimeout(() => setTraceKey((k) => k + 1), 800);
  };
  if (journey.state === 'error' && journey.problem.status === 404)
    return (
      <>
        <PageHeader title={`Journey ${journeyKey}`} />
        <Empty>
          No journey <code>{journeyKey}</code> in campaign <code>{campaign}</code>. It starts when an event
          triggers the campaign; <Link href="/journeys">search the journeys</Link>.
        </Empty>
      </>
    );
  return (
    <Show value={journey} what="the journey">
      {(j) => {
        const vars = (j.journey?.vars ?? {}) as Record<string, unknown>;
        // The participant: from the journey list's link, else the triggering event kept in the variables.
        const event = vars.event as { participant_id?: unknown } | undefined;
        const participant =
          query.get('participant') ??
          (typeof event?.participant_id === 'string' ? event.participant_id : null) ??
          (typeof vars.participant_id === 'string' ? vars.participant_id : null);
        const ui = temporalUi();
        const ns = trace?.namespace ?? 'default';
        const liveVersion = live.state === 'ready' ? live.data.campaign.current_version : null;
        const waiting = j.journey?.waiting_for ?? [];
        return (
          <>
            <PageHeader title={`Journey ${journeyKey}`}>
              {ui ? (
                <a
                  className="button"
                  href={`${ui}/namespaces/${encodeURIComponent(ns)}/workflows/${encodeURIComponent(j.workflow_id)}${trace ? `/${trace.run_id}/history` : ''}`}
                  target="_blank"
                  rel="noreferrer"
                >
                  Open in Temporal UI
                </a>
              ) : null}
            </PageHeader>
            <dl className="facts">
              <dt>Status</dt>
              <dd>
                <StatusBadge status={j.journey?.state ?? j.execution_status} /> (
                {j.execution_status.toLowerCase()})
              </dd>
              <dt>Waiting on</dt>
              <dd data-testid="waiting-on">
                {j.journey?.current_step ? (
                  <>
                    step <code>{j.journey.current_step}</code>
                  </>
                ) : (
                  '—'
                )}
                {waiting.length ? ` · for ${waiting.map(waitingLabel).join(', ')}` : ''}
              </dd>
              <dt>Campaign</dt>
              <dd>
                <Link href={`/campaigns/${encodeURIComponent(campaign)}`}>{campaign}</Link>
              </dd>
              <dt>Version</dt>
              <dd data-testid="journey-version">
                {trace?.campaign_version ? `v${trace.campaign_version}` : '—'}
                {liveVersion && trace?.campaign_version && liveVersion !== trace.campaign_version
                  ? ` (the campaign is now at v${liveVersion})`
                  : ''}
              </dd>
              <dt>Workflow id</dt>
              <dd className="mono">{j.workflow_id}</dd>
              <dt>Started</dt>
              <dd>{when(j.started_at)}</dd>
              <dt>Closed</dt>
              <dd>{when(j.closed_at)}</dd>
            </dl>
            <p className="note">
              Running journeys stay on the version they started with
              {trace?.campaign_version ? `: this one runs version ${trace.campaign_version}` : ''}. A redeploy
              changes only journeys that start afterwards.
            </p>
            <section className="panel" aria-labelledby="approvals-h">
              <h2 id="approvals-h">Approvals</h2>
              <JourneyApprovals campaign={campaign} journeyKey={journeyKey} onDecided={decided} />
            </section>
            <div className="journey-grid">
              <section className="panel" aria-labelledby="timeline-h">
                <h2 id="timeline-h">Timeline</h2>
                <JourneyTimeline
                  key={traceKey}
                  campaign={campaign}
                  journeyKey={journeyKey}
                  onTrace={traced}
                />
              </section>
              <section className="panel" aria-labelledby="vars-h">
                <h2 id="vars-h">Variables</h2>
                <pre className="journey-vars">{JSON.stringify(vars, null, 2)}</pre>
              </section>
            </div>
            <section className="panel" aria-labelledby="rewards-h">
              <h2 id="rewards-h">Rewards</h2>
              {participant ? (
                <JourneyRewards campaign={campaign} participant={participant} />
              ) : (
                <Empty>No participant on this journey.</Empty>
              )}
            </section>
            <section className="panel" aria-labelledby="messages-h">
              <h2 id="messages-h">Messages</h2>
              {participant ? (
                <JourneyMessages participant={participant} workflowId={j.workflow_id} />
              ) : (
                <Empty>No participant on this journey.</Empty>
              )}
            </section>
          </>
        );
      }}
    </Show>
  );
}

const money = (r: RewardView) =>
  r.amount === null ? '—' : `${r.amount.toLocaleString()}${r.currency ? ` ${r.currency}` : ''}`;

const REWARD_COLUMNS: Column<RewardView>[] = [
  {
    key: 'reward',
    header: 'Reward',
    cell: (r) => <Link href={`/rewards/${encodeURIComponent(r.id)}`}>{r.label}</Link>,
  },
  { key: 'side', header: 'Side', cell: (r) => r.side },
  { key: 'state', header: 'State', cell: (r) => <StatusBadge status={r.state} /> },
  { key: 'amount', header: 'Amount', cell: money, className: 'num' },
  { key: 'created', header: 'Created', cell: (r) => when(r.created_at), className: 'nowrap' },
];

function JourneyRewards({ campaign, participant }: { campaign: string; participant: string }) {
  const rewards = useAsync(
    () =>
      must(
        api().GET('/v1/rewards', {
          params: { query: { campaign_id: campaign, participant_id: participant, limit: 100 } },
        }),
      ),
    [campaign, participant],
  );
  return (
    <Show value={rewards} what="rewards">
      {(page) => (
        <DataTable
          caption={`Rewards of ${participant} in this campaign`}
          columns={REWARD_COLUMNS}
          rows={page.data}
          rowKey={(r) => r.id}
          empty={`No reward for ${participant} in this campaign.`}
          testId="journey-rewards"
        />
      )}
    </Show>
  );
}

const MESSAGE_COLUMNS: Column<Notification>[] = [
  { key: 'channel', header: 'Channel', cell: (m) => m.channel },
  { key: 'template', header: 'Template', cell: (m) => <code>{m.template}</code> },
  { key: 'subject', header: 'Subject', cell: (m) => m.subject || '—' },
  { key: 'status', header: 'Status', cell: (m) => <StatusBadge status={m.status} /> },
  { key: 'created', header: 'Created', cell: (m) => when(m.created_at), className: 'nowrap' },
  { key: 'sent', header: 'Sent', cell: (m) => when(m.sent_at), className: 'nowrap' },
];

/** The messages this journey sent its participant (not those of their other journeys). */
function JourneyMessages({ participant, workflowId }: { participant: string; workflowId: string }) {
  const messages = useAsync(
    () =>
      must(
        api().GET('/v1/notifications/participants/{id}', {
          params: { path: { id: participant }, query: { journey_id: workflowId, limit: 50 } },
        }),
      ),
    [participant, workflowId],
  );
  return (
    <Show value={messages} what="messages">
      {(page) => (
        <>
          <p className="hint">What this journey sent {participant}, newest first.</p>
          <DataTable
            caption={`Messages of this journey to ${participant}`}
            columns={MESSAGE_COLUMNS}
            rows={page.data}
            rowKey={(m) => m.id}
            empty={`This journey has sent ${participant} no message yet.`}
            testId="journey-messages"
          />
        </>
      )}
    </Show>
  );
}
