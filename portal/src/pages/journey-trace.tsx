import { useEffect, useState } from 'react';
import type { JourneyTrace, JourneyTraceEntry } from '../../../contract/generated/api.generated.ts';
import { api, must } from '../lib/api.ts';
import { asProblem, Loading, Problem, StatusBadge, when } from '../lib/ui.tsx';

/** `1234` → `1.2 s`; a human duration for the timeline. */
export function duration(ms: number | null): string | null {
  if (ms === null) return null;
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/** What one entry says, in words a marketer reads (the step id and the facts follow it). */
function label(x: JourneyTraceEntry): string {
  switch (x.kind) {
    case 'started':
      return x.status === 'continued'
        ? `Continued as a new run (generation ${text(x.detail.generation)})`
        : `Journey started by ${text(x.detail.trigger_event) || 'its trigger'}`;
    case 'activity':
      return x.detail.compensation ? `Compensation ${x.name}` : `${x.name ?? 'Activity'}`;
    case 'timer': {
      const span = duration(typeof x.detail.timeout_ms === 'number' ? x.detail.timeout_ms : null);
      if (x.status === 'fired') return `Timer of ${span} fired`;
      if (x.status === 'cancelled') return `Timer of ${span} cancelled (what it waited for came first)`;
      return `Timer of ${span} set, until ${when(text(x.detail.fires_at))}`;
    }
    case 'event':
      return `Event ${x.name ?? ''} received`;
    case 'approval': {
      const verdict =
        x.detail.decision === 'approve'
          ? 'approved'
          : x.detail.decision === 'reject'
            ? 'rejected'
            : text(x.detail.decision);
      return `Approval ${verdict} by ${text(x.detail.decided_by)}${x.detail.role ? ` (${text(x.detail.role)})` : ''}`;
    }
    case 'update':
      return `Update ${x.name ?? ''}`;
    case 'signal':
      return `Signal ${x.name ?? ''}`;
    case 'child':
      return `Child journey ${text(x.detail.workflow_id)}`;
    case 'continued_as_new':
      return 'Continued as new';
    case 'completed':
      return 'Journey completed';
    case 'failed':
      return 'Journey failed';
    case 'terminated':
      return 'Journey terminated';
    case 'cancelled':
      return 'Journey cancelled';
    case 'timed_out':
      return 'Journey timed out';
  }
}

function tone(x: JourneyTraceEntry): 'bad' | 'warn' | 'ok' | 'info' {
  if (['failed', 'timed_out', 'start_failed', 'terminated'].includes(x.status) || x.kind === 'failed')
    return 'bad';
  if (x.status === 'retrying' || (x.attempt ?? 1) > 1) return 'warn';
  if (x.kind === 'event' || x.kind === 'approval' || x.kind === 'completed') return 'ok';
  return 'info';
}

function Entry({ x }: { x: JourneyTraceEntry }) {
  const retries = (x.attempt ?? 1) - 1;
  const took = duration(x.duration_ms);
  return (
    <li className={`trace-entry tone-${tone(x)}`} data-kind={x.kind} data-status={x.status}>
      <time dateTime={x.at}>{when(x.at)}</time>
      <div className="trace-body">
        <div className="trace-head">
          <strong>{label(x)}</strong>
          {x.step ? (
            <span className="muted">
              {' '}
              step <code>{x.path ?? x.step}</code>
            </span>
          ) : null}
          <StatusBadge status={x.status} />
          {took ? <span className="trace-took">took {took}</span> : null}
          {retries > 0 ? (
            <span className="trace-retry">
              attempt {x.attempt} ({retries} {retries === 1 ? 'retry' : 'retries'})
            </span>
          ) : null}
        </div>
        {x.error ? (
          <p className="trace-error">
            {x.status === 'completed' ? 'Earlier attempt failed: ' : ''}
            {x.error.type ? <code>{x.error.type}</code> : null} {x.error.message}
          </p>
        ) : null}
        {x.summary ? <p className="trace-summary mono">{x.summary}</p> : null}
      </div>
    </li>
  );
}

/**
 * The journey's trace as a timeline, from Temporal's history through GET …/trace: the first page, then
 * "Show more" for the next; an earlier run (before continue-as-new) on request.
 */
export function JourneyTimeline({
  campaign,
  journeyKey,
  onTrace,
}: {
  campaign: string;
  journeyKey: string;
  /** The first page's answer, for the facts above the timeline (version, run, namespace). */
  onTrace?(trace: JourneyTrace): void;
}) {
  const [runId, setRunId] = useState<string | null>(null);
  const [pages, setPages] = useState<JourneyTrace[]>([]);
  const [state, setState] = useState<'loading' | 'ready' | 'more'>('loading');
  const [problem, setProblem] = useState<ReturnType<typeof asProblem> | null>(null);
  const [n, setN] = useState(0);

  const load = (cursor: string | null, run: string | null) =>
    must(
      api().GET('/v1/journeys/{campaignId}/{journeyKey}/trace', {
        params: {
          path: { campaignId: campaign, journeyKey },
          query: {
            limit: 100,
            ...(run ? { run_id: run } : {}),
            ...(cursor ? { starting_after: cursor } : {}),
          },
        },
      }),
    );

  // biome-ignore lint/correctness/useExhaustiveDependencies: reloads when the journey, the run or `n` change
  useEffect(() => {
    let live = true;
    setState('loading');
    setProblem(null);
    load(null, runId).then(
      (t) => {
        if (!live) return;
        setPages([t]);
        setState('ready');
        if (!runId) onTrace?.(t);
      },
      (e) => live && setProblem(asProblem(e)),
    );
    return () => {
      live = false;
    };
  }, [campaign, journeyKey, runId, n]);

  const more = () => {
    const last = pages[pages.length - 1];
    if (!last?.next_cursor) return;
    setState('more');
    load(last.next_cursor, last.run_id).then(
      (t) => {
        setPages((p) => [...p, t]);
        setState('ready');
      },
      (e) => {
        setProblem(asProblem(e));
        setState('ready');
      },
    );
  };

  if (problem && pages.length === 0) return <Problem problem={problem} onRetry={() => setN((x) => x + 1)} />;
  if (state === 'loading' && pages.length === 0) return <Loading what="the trace" />;
  const first = pages[0];
  const last = pages[pages.length - 1];
  const entries = pages.flatMap((p) => p.data);
  return (
    <>
      <div className="trace-tools">
        <span className="muted">
          {runId ? 'Earlier run ' : 'Run '}
          <code>{first?.run_id}</code> · {first?.history_length ?? 0} history events
        </span>
        <button type="button" className="small" onClick={() => setN((x) => x + 1)}>
          Refresh
        </button>
        {first?.continued_from_run_id ? (
          <button type="button" className="small" onClick={() => setRunId(first.continued_from_run_id)}>
            Show the earlier run
          </button>
        ) : null}
        {runId ? (
          <button type="button" className="small" onClick={() => setRunId(null)}>
            Back to the latest run
          </button>
        ) : null}
      </div>
      {entries.length === 0 ? (
        <p className="state empty">Nothing in the history yet.</p>
      ) : (
        <ol className="trace" aria-label="Journey trace" data-testid="trace">
          {entries.map((x) => (
            <Entry key={x.seq} x={x} />
          ))}
        </ol>
      )}
      {first?.truncated ? (
        <p className="hint">The history is longer than the trace reads; the Temporal UI shows all of it.</p>
      ) : null}
      {problem ? <Problem problem={problem} /> : null}
      {last?.has_more ? (
        <button type="button" onClick={more} disabled={state === 'more'}>
          {state === 'more' ? 'Loading…' : 'Show more'}
        </button>
      ) : null}
    </>
  );
}
