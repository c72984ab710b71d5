import { formatDuration } from '../../contract/duration.ts';
import type { SimulationTrace } from '../../engine/simulate.ts';

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

function stepText(kind: string, d: Record<string, unknown>, path: string): string | undefined {
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
    case 'end':
      return `  ■ end ${String(d.status)}${d.reason ? `: ${short(d.reason)}` : ''}`;
    default:
      return undefined;
  }
}

/**
 * The simulation as a timeline in which every line names its journey: `[<key>] +<offset> <what>`.
 * An event's line names the journeys it started or reached (`[-]` when it reached none).
 */
export function formatLabelledTrace(trace: SimulationTrace): string[] {
  const start = Date.parse(trace.startedAt);
  const lines: { at: number; order: number; text: string }[] = [];
  let order = 0;
  const add = (label: string, at: string, text: string) => {
    const offset = `+${formatDuration(Math.max(0, Date.parse(at) - start))}`.padEnd(9);
    lines.push({ at: Date.parse(at), order: order++, text: `[${label}] ${offset} ${text}` });
  };
  for (const e of trace.events) {
    const reached = [...new Set(e.routes.flatMap((r) => (r.workflowId ? [journeyKeyOf(r.workflowId)] : [])))];
    const routes = e.routes.length
      ? e.routes.map((r) => `${r.action}${r.reason ? ` (${r.reason})` : ''}`).join(', ')
      : 'no campaign';
    add(reached.join(',') || '-', e.at, `event ${e.event.event} [${e.event.event_id}] → ${routes}`);
  }
  for (const j of trace.journeys) {
    const key = journeyKeyOf(j.workflowId);
    for (const r of j.steps) {
      const text = stepText(r.kind, r.detail ?? {}, r.path);
      if (text) add(key, r.at, text);
    }
  }
  lines.sort((a, b) => a.at - b.at || a.order - b.order);
  const out = [`simulation of ${trace.pulse}`, ...lines.map((l) => l.text)];
  for (const j of trace.journeys) {
    const result = j.unfinished
      ? `still ${j.status.state} at the horizon (${j.status.currentStep ?? '?'})`
      : j.outcome
        ? `${j.outcome.status}${j.outcome.reason !== undefined ? ` (${short(j.outcome.reason)})` : ''}`
        : `failed: ${j.failure?.type} ${j.failure?.message}`;
    out.push(`[${journeyKeyOf(j.workflowId)}] journey ${j.workflowId}: ${result}`);
  }
  if (!trace.journeys.length) out.push('[-] no journey started');
  out.push(`${trace.activities.length} activity call(s)`);
  return out;
}
