/**
 * The simulator's trace (POST /v1/campaigns/simulate) as timeline rows: delivered events and their
 * routing, each journey's steps — waits and what ended them, timers, branches, ends — the reward
 * decisions of the campaign's own rules (with the part of the file that refused), and the messages
 * (rendered by `render`: message-preview.ts in the page).
 */

export interface TraceStep {
  at: string;
  kind: string;
  path: string;
  step?: string;
  detail?: Record<string, unknown>;
}
export interface ActivityCall {
  activity: string;
  input: Record<string, unknown>;
  stepId: string;
  workflowId: string;
  scheduledAt: string;
}
export interface Verdict {
  workflowId: string;
  stepId: string;
  activity: string;
  participantId: string;
  reward: string | null;
  eligible: boolean;
  reason: string | null;
  segment: string | null;
  refusedBy: string | null;
  scheduledAt: string;
}
export interface Trace {
  pulse: string;
  startedAt: string;
  events: {
    offsetMs: number;
    at: string;
    event: { event: string; participant_id?: string };
    routes: { action: string; reason?: string }[];
  }[];
  journeys: {
    workflowId: string;
    outcome?: { status: string; reason?: unknown };
    failure?: { type: string; message: string };
    unfinished: boolean;
    steps: TraceStep[];
  }[];
  activities?: ActivityCall[];
  decisions?: { at: string; task: string; decision: string; result: string }[];
  eligibility?: Verdict[];
}

export interface TimelineRow {
  t: number;
  kind: string;
  text: string;
  /** A rendered message: subject and text body. */
  message?: { subject: string; text: string; locale: string } | { error: string };
  /** True for a refusal (shown as such). */
  refused?: boolean;
}

export function offsetLabel(ms: number): string {
  if (ms < 1000) return `+${ms}ms`;
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  let rest = ms;
  let out = '+';
  for (const [n, u] of units) {
    if (rest >= n) {
      out += `${Math.floor(rest / n)}${u}`;
      rest %= n;
    }
  }
  return out;
}

const ms = (v: unknown) => (typeof v === 'number' ? offsetLabel(v).slice(1) : null);
const str = (v: unknown) =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);

/** Every row of the timeline, in time order (ties: events, then steps in trace order). */
export function traceRows(
  trace: Trace,
  render?: (call: ActivityCall, campaign: { id: string; pulse: string }) => TimelineRow['message'],
): TimelineRow[] {
  const start = Date.parse(trace.startedAt);
  const t = (at: string) => Date.parse(at) - start;
  const campaignOf = (workflowId: string) => ({ id: workflowId.split(':')[2] ?? '', pulse: trace.pulse });
  // Reward decisions and messages, by journey and step: shown where their step ran, in its place.
  const pending = new Map<string, TimelineRow[]>();
  const hold = (workflowId: string, stepId: string, row: TimelineRow) => {
    const key = `${workflowId} ${stepId}`;
    pending.set(key, [...(pending.get(key) ?? []), row]);
  };
  for (const v of trace.eligibility ?? [])
    hold(v.workflowId, v.stepId, {
      t: t(v.scheduledAt),
      kind: 'reward',
      refused: !v.eligible,
      text: `${v.stepId} ${v.activity}: ${v.reward ?? 'campaign-wide checks'} for ${v.participantId} — ${
        v.eligible
          ? `granted${v.segment ? ` (segment ${v.segment})` : ''}`
          : `refused${v.reason ? ` ${v.reason}` : ''}${v.refusedBy ? ` by ${v.refusedBy}` : ''}`
      }`,
    });
  for (const c of trace.activities ?? []) {
    if (c.activity !== 'SendNotification') continue;
    const message = render?.(c, campaignOf(c.workflowId));
    hold(c.workflowId, c.stepId, {
      t: t(c.scheduledAt),
      kind: 'message',
      text: `${c.stepId}: ${str(c.input.template)} to ${str(c.input.participant_id)} by ${str(c.input.channel) || 'email'}`,
      ...(message ? { message } : {}),
    });
  }
  const rows: TimelineRow[] = trace.events.map((e) => ({
    t: t(e.at),
    kind: 'event',
    text: `${e.event.event}${e.event.participant_id ? ` (${e.event.participant_id})` : ''} → ${
      e.routes.map((r) => r.action + (r.reason ? `: ${r.reason}` : '')).join(', ') || 'no campaign'
    }`,
  }));
  for (const j of trace.journeys) {
    for (const s of j.steps) {
      const d = s.detail ?? {};
      const at = t(s.at);
      switch (s.kind) {
        case 'enter':
        case 'exit':
          break;
        case 'activity': {
          const key = `${j.workflowId} ${s.step ?? ''}`;
          const own = pending.get(key);
          // A reward decision or a message says more than the call: it takes the call's place.
          if (own) {
            rows.push(...own);
            pending.delete(key);
          } else rows.push({ t: at, kind: 'activity', text: `${s.path} ${str(d.activity)}` });
          break;
        }
        case 'wait': {
          const events = Array.isArray(d.events) ? d.events.join(' or ') : str(d.events);
          const limit = ms(d.timeoutMs);
          rows.push({
            t: at,
            kind: 'wait',
            text: `${s.path} waits for ${events || 'a signal'}${limit ? `, at most ${limit}` : ''}`,
          });
          break;
        }
        case 'matched':
          rows.push({ t: at, kind: 'wait', text: `${s.path} received ${str(d.event)}` });
          break;
        case 'timeout':
          rows.push({
            t: at,
            kind: 'wait',
            text: `${s.path} timed out${ms(d.timeoutMs) ? ` after ${ms(d.timeoutMs)}` : ''}`,
          });
          break;
        case 'timer':
          rows.push({ t: at, kind: 'sleep', text: `${s.path} sleeps ${ms(d.ms) ?? ''}` });
          break;
        case 'branch':
          rows.push({
            t: at,
            kind: 'branch',
            text: `${s.path} → ${Array.isArray(d.branches) ? `together: ${d.branches.join(', ')}` : str(d.branch)}`,
          });
          break;
        case 'end':
          rows.push({
            t: at,
            kind: 'end',
            text: `${s.path} ends ${str(d.status)}${d.reason ? `: ${str(d.reason)}` : ''}`,
          });
          break;
        default:
          rows.push({
            t: at,
            kind: s.kind,
            text: `${s.path}${d.activity ? ` ${str(d.activity)}` : ''}${d.code ? ` ${str(d.code)}` : ''}${d.message ? `: ${str(d.message)}` : ''}`,
          });
      }
    }
  }
  // Any the steps did not place (a child journey's, say) still show, at their time.
  for (const left of pending.values()) rows.push(...left);
  for (const d of trace.decisions ?? [])
    rows.push({ t: t(d.at), kind: 'decision', text: `${d.decision} ${d.task}: ${d.result}` });
  // Stable: rows of one instant keep the order above (events first, then each journey's steps).
  return rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => a.r.t - b.r.t || a.i - b.i)
    .map((x) => x.r);
}
