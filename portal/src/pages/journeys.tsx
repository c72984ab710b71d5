import { type FormEvent, useState } from 'react';
import { api, must } from '../lib/api.ts';
import { Link, navigate, useLocation } from '../lib/router.tsx';
import { Empty, PageHeader, Show, StatusBadge, useAsync, when } from '../lib/ui.tsx';

/** A workflow id `pulse:<client>:<campaign>:<journey key>` → the journey page's path. */
function journeyPath(workflowId: string): string | null {
  const m = /^pulse:[^:]+:([^:]+):(.+)$/.exec(workflowId.trim());
  return m ? `/journeys/${encodeURIComponent(m[1] ?? '')}/${encodeURIComponent(m[2] ?? '')}` : null;
}

/** Journeys, newest first: search by participant, filter by campaign and status, or open one by id. */
export function JourneysPage() {
  const { query } = useLocation();
  const participant = query.get('participant') ?? '';
  const campaign = query.get('campaign') ?? '';
  const [q, setQ] = useState(participant);
  const [c, setC] = useState(campaign);
  const list = useAsync(
    () =>
      must(
        api().GET('/v1/journeys', {
          params: {
            query: {
              limit: 50,
              ...(participant ? { participant_id: participant } : {}),
              ...(campaign ? { campaign_id: campaign } : {}),
            },
          },
        }),
      ),
    [participant, campaign],
  );
  const search = (e: FormEvent) => {
    e.preventDefault();
    const direct = journeyPath(q);
    if (direct) return navigate(direct);
    const p = new URLSearchParams();
    if (q.trim()) p.set('participant', q.trim());
    if (c.trim()) p.set('campaign', c.trim());
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
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      <Show value={list} what="journeys">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No journey matches. A journey starts when an event triggers a live campaign.</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Journey</th>
                    <th scope="col">Participant</th>
                    <th scope="col">Pulse</th>
                    <th scope="col">Status</th>
                    <th scope="col">Started</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((j) => {
                    const path = journeyPath(j.workflow_id);
                    const href =
                      path && j.participant_id
                        ? `${path}?participant=${encodeURIComponent(j.participant_id)}`
                        : path;
                    return (
                      <tr key={j.workflow_id}>
                        <td>
                          {href ? <Link href={href}>{j.journey_key ?? j.workflow_id}</Link> : j.workflow_id}
                          <div className="muted mono">{j.campaign_id}</div>
                        </td>
                        <td>{j.participant_id ?? '—'}</td>
                        <td>{j.pulse ?? '—'}</td>
                        <td>
                          <StatusBadge status={j.status} />
                        </td>
                        <td>{when(j.started_at)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
    </>
  );
}

const temporalUi = () =>
  document.querySelector<HTMLMetaElement>('meta[name="pulse-temporal-ui"]')?.content ?? '';

/** One journey: status, the step it waits on, its timeline, rewards, messages, approvals. */
export function JourneyPage({ campaign, journeyKey }: { campaign: string; journeyKey: string }) {
  const { query } = useLocation();
  const path = { campaignId: campaign, journeyKey };
  const journey = useAsync(
    () => must(api().GET('/v1/journeys/{campaignId}/{journeyKey}', { params: { path } })),
    [campaign, journeyKey],
  );
  const approvals = useAsync(
    () => must(api().GET('/v1/journeys/{campaignId}/{journeyKey}/approvals', { params: { path } })),
    [campaign, journeyKey],
  );
  const messages = useAsync(
    () =>
      must(api().GET('/v1/notifications', { params: { query: { campaign_id: campaign, limit: 100 } } })).then(
        (page) => page.data.filter((m) => m.journey_key === journeyKey),
      ),
    [campaign, journeyKey],
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
        return (
          <>
            <PageHeader title={`Journey ${journeyKey}`}>
              {ui ? (
                <a
                  className="button"
                  href={`${ui.replace(/\/$/, '')}/namespaces/default/workflows/${encodeURIComponent(j.workflow_id)}`}
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
              <dd>
                {j.journey?.current_step ?? '—'}
                {j.journey?.waiting_for?.length ? ` · for ${j.journey.waiting_for.join(', ')}` : ''}
              </dd>
              <dt>Campaign</dt>
              <dd>
                <Link href={`/campaigns/${encodeURIComponent(campaign)}`}>{campaign}</Link>
              </dd>
              <dt>Workflow id</dt>
              <dd className="mono">{j.workflow_id}</dd>
              <dt>Started</dt>
              <dd>{when(j.started_at)}</dd>
              <dt>Closed</dt>
              <dd>{when(j.closed_at)}</dd>
            </dl>
            <div className="grid two">
              <section className="panel" aria-labelledby="timeline-h">
                <h2 id="timeline-h">Timeline</h2>
                <ol className="timeline">
                  <li>
                    <time>{when(j.started_at)}</time> journey started
                  </li>
                  <Show value={messages} what="messages">
                    {(ms) => (
                      <>
                        {ms.map((m) => (
                          <li key={m.id}>
                            <time>{when(m.created_at)}</time> {m.channel} “{m.template}” {m.status}
                          </li>
                        ))}
                      </>
                    )}
                  </Show>
                  {j.journey?.current_step ? (
                    <li className="now">
                      <time>now</time> at step <code>{j.journey.current_step}</code>
                    </li>
                  ) : null}
                  {j.closed_at ? (
                    <li>
                      <time>{when(j.closed_at)}</time> journey {j.execution_status.toLowerCase()}
                    </li>
                  ) : null}
                </ol>
              </section>
              <section className="panel" aria-labelledby="vars-h">
                <h2 id="vars-h">Variables</h2>
                <pre className="code small">{JSON.stringify(vars, null, 2)}</pre>
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
            <section className="panel" aria-labelledby="approvals-h">
              <h2 id="approvals-h">Approvals</h2>
              <Show value={approvals} what="approvals">
                {(a) =>
                  a.data.length === 0 ? (
                    <Empty>No approval step on this journey.</Empty>
                  ) : (
                    <ul>
                      {a.data.map((t) => (
                        <li key={t.task}>
                          {t.title} <StatusBadge status={t.state} />
                        </li>
                      ))}
                    </ul>
                  )
                }
              </Show>
            </section>
          </>
        );
      }}
    </Show>
  );
}

function JourneyRewards({ campaign, participant }: { campaign: string; participant: string }) {
  const rewards = useAsync(
    () =>
      must(
        api().GET('/v1/rewards', {
          params: { query: { campaign_id: campaign, participant_id: participant } },
        }),
      ),
    [campaign, participant],
  );
  return (
    <Show value={rewards} what="rewards">
      {(page) =>
        page.data.length === 0 ? (
          <Empty>No reward for {participant} in this campaign.</Empty>
        ) : (
          <ul>
            {page.data.map((r) => (
              <li key={r.id}>
                <Link href={`/rewards/${encodeURIComponent(r.id)}`}>{r.label}</Link>{' '}
                <StatusBadge status={r.state} />
              </li>
            ))}
          </ul>
        )
      }
    </Show>
  );
}
