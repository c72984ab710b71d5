import { formatDuration } from '../../contract/duration.ts';
import type { SimulationTrace } from './trace.ts';

const MAX_JSON = 120;

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > MAX_JSON ? `${text.slice(0, MAX_JSON - 1)}…` : text;
}

/** `pulse:<client>:<campaign>:<key>` → `<key>` (a key may itself hold colons). */
export function journeyKeyOf(workflowId: string): string {
  const parts = workflowId.split(':');
  return parts.length > 3 ? parts.slice(3).join(':') : workflowId;
}

type Journey = SimulationTrace['journeys'][number];

/** Whether a journey failed: the workflow failed, or it ended with status `failed`. */
export function journeyFailed(j: Journey): boolean {
  return Boolean(j.failure) || j.outcome?.status === 'failed';
}

/** One trace record as text (without its indent), or undefined for kinds the timeline leaves out. */
function stepText(kind: string, d: Record<string, unknown>, path: string, step: string | undefined) {
  switch (kind) {
    case 'enter':
      return `▸ ${path} (${String(d.kind)})`;
    case 'activity':
      return `  ⚙ ${String(d.activity)} ${short(d.input)}`;
    case 'activity-failed':
      return `  ✗ ${String(d.activity)} failed: ${String(d.code)}`;
    case 'wait':
      return `  ⏸ wait for ${short(d.events)}${d.timeoutMs ? ` up to ${formatDuration(Number(d.timeoutMs))}` : ''}`;
    case 'matched':
      return `  ✓ got ${String(d.event)} [${String(d.event_id)}]`;
    case 'timeout':
      return '  ⌛ wait timed out';
    case 'timer':
      return `  ⏲ sleep ${formatDuration(Number(d.ms))}`;
    case 'branch':
      return `  ↳ ${short(d.branch ?? d.branches)}`;
    case 'child':
      return `  ⇣ child ${String(d.plan)}`;
    case 'continue-as-new':
      return '  ↻ continue-as-new';
    case 'raise':
      return `  ⚠ raise ${String(d.code)}: ${short(d.message)}`;
    case 'caught':
      return `  ⤷ caught ${String(d.code)}${d.optional ? ' (optional step goes on)' : ''}`;
    case 'uncaught':
      return `  ⤴ ${String(d.code)} not caught here`;
    case 'compensate':
      return `  ↶ compensate ${step ?? path} with ${String(d.activity)}`;
    case 'approval':
      return `  ✋ approval by ${short(d.roles)} up to ${formatDuration(Number(d.timeoutMs))}`;
    case 'escalated':
      return `  ⇧ escalated to ${short(d.roles)} for ${formatDuration(Number(d.timeoutMs))}`;
    case 'decided':
      return `  ✓ ${String(d.decision)} by ${String(d.decided_by)}`;
    case 'end':
      return `  ■ end ${String(d.status)}${d.reason ? `: ${short(d.reason)}` : ''}`;
    default:
      return undefined;
  }
}

export interface FormatOptions {
  /**
   * Start every line with the journey it belongs to, `[<key>]` (`pulse simulate`): an event's line names
   * the journeys it started or reached (`[-]` when none).
   */
  labelled?: boolean;
}

/** A readable timeline: events delivered, steps entered, waits, timers, activity calls, outcome. */
export function formatTrace(trace: SimulationTrace, opts: FormatOptions = {}): string {
  const start = Date.parse(trace.startedAt);
  const lines: { at: number; order: number; text: string }[] = [];
  let order = 0;
  const tag = (label: string) => (opts.labelled ? `[${label}] ` : '');
  const add = (label: string, at: string, text: string) => {
    const offset = `+${formatDuration(Math.max(0, Date.parse(at) - start))}`.padEnd(opts.labelled ? 9 : 10);
    lines.push({
      at: Date.parse(at),
      order: order++,
      text: `${tag(label)}${offset}${opts.labelled ? ' ' : ''}${text}`,
    });
  };

  for (const e of trace.events) {
    const reached = [...new Set(e.routes.flatMap((r) => (r.workflowId ? [journeyKeyOf(r.workflowId)] : [])))];
    const routes = e.routes.length
      ? e.routes.map((r) => `${r.action}${r.reason ? ` (${r.reason})` : ''}`).join(', ')
      : 'no campaign';
    add(reached.join(',') || '-', e.at, `event ${e.event.event} [${e.event.event_id}] → ${routes}`);
  }
  for (const d of trace.decisions ?? []) add('-', d.at, `decision ${d.decision} ${d.task} → ${d.result}`);
  for (const j of trace.journeys) {
    const key = journeyKeyOf(j.workflowId);
    for (const r of j.steps) {
      const text = stepText(r.kind, r.detail ?? {}, r.path, r.step);
      // Unlabelled, steps sit under their events: two more spaces of indent.
      if (text) add(key, r.at, opts.labelled ? text : `  ${text}`);
    }
  }
  for (const v of trace.eligibility ?? []) {
    const what = `${v.participantId}${v.reward ? ` for ${v.reward}` : ''}`;
    const segment = v.segment ? ` [segment ${v.segment}]` : '';
    const text = v.eligible
      ? `  ✓ ${what} eligible${segment}`
      : `  ✗ ${what} not eligible: ${v.reason}${v.refusedBy ? ` (${v.refusedBy})` : ''}${segment}`;
    add(
      journeyKeyOf(v.workflowId.split('/call/')[0] ?? v.workflowId),
      v.scheduledAt,
      opts.labelled ? text : `  ${text}`,
    );
  }
  lines.sort((a, b) => a.at - b.at || a.order - b.order);
  const out = [`simulation of ${trace.pulse}`, ...lines.map((l) => l.text)];
  for (const j of trace.journeys) {
    const result = j.unfinished
      ? `still ${j.status.state} at the horizon (${j.status.currentStep ?? '?'})`
      : j.outcome
        ? `${j.outcome.status}${j.outcome.reason !== undefined ? ` (${short(j.outcome.reason)})` : ''}`
        : `failed: ${j.failure?.type} ${j.failure?.message}`;
    out.push(`${tag(journeyKeyOf(j.workflowId))}journey ${j.workflowId}: ${result}`);
  }
  if (!trace.journeys.length) out.push(`${tag('-')}no journey started`);
  out.push(`${trace.activities.length} activity call(s)`);
  return out.join('\n');
}
