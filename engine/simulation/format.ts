import { formatDuration } from '../../contract/duration.ts';
import type { SimulationTrace } from './trace.ts';

const MAX_JSON = 120;

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > MAX_JSON ? `${text.slice(0, MAX_JSON - 1)}…` : text;
}

function offset(startMs: number, at: string): string {
  return `+${formatDuration(Math.max(0, Date.parse(at) - startMs))}`.padEnd(10);
}

/** A readable timeline: events delivered, steps entered, waits, timers, activity calls, outcome. */
export function formatTrace(trace: SimulationTrace): string {
  const start = Date.parse(trace.startedAt);
  const lines: { at: number; order: number; text: string }[] = [];
  let order = 0;
  const add = (at: string, text: string) =>
    lines.push({ at: Date.parse(at), order: order++, text: `${offset(start, at)}${text}` });

  for (const e of trace.events) {
    const routes = e.routes.length
      ? e.routes.map((r) => `${r.action}${r.reason ? ` (${r.reason})` : ''}`).join(', ')
      : 'no campaign';
    add(e.at, `event ${e.event.event} [${e.event.event_id}] → ${routes}`);
  }
  for (const d of trace.decisions ?? []) add(d.at, `decision ${d.decision} ${d.task} → ${d.result}`);
  for (const j of trace.journeys) {
    for (const r of j.steps) {
      const d = r.detail ?? {};
      switch (r.kind) {
        case 'enter':
          add(r.at, `  ▸ ${r.path} (${String(d.kind)})`);
          break;
        case 'activity':
          add(r.at, `    ⚙ ${String(d.activity)} ${short(d.input)}`);
          break;
        case 'activity-failed':
          add(r.at, `    ✗ ${String(d.activity)} failed: ${String(d.code)}`);
          break;
        case 'wait':
          add(
            r.at,
            `    ⏸ wait for ${short(d.events)}${d.timeoutMs ? ` up to ${formatDuration(Number(d.timeoutMs))}` : ''}`,
          );
          break;
        case 'matched':
          add(r.at, `    ✓ got ${String(d.event)} [${String(d.event_id)}]`);
          break;
        case 'timeout':
          add(r.at, '    ⌛ wait timed out');
          break;
        case 'timer':
          add(r.at, `    ⏲ sleep ${formatDuration(Number(d.ms))}`);
          break;
        case 'branch':
          add(r.at, `    ↳ ${short(d.branch ?? d.branches)}`);
          break;
        case 'child':
          add(r.at, `    ⇣ child ${String(d.plan)}`);
          break;
        case 'continue-as-new':
          add(r.at, '    ↻ continue-as-new');
          break;
        case 'raise':
          add(r.at, `    ⚠ raise ${String(d.code)}: ${short(d.message)}`);
          break;
        case 'caught':
          add(r.at, `    ⤷ caught ${String(d.code)}${d.optional ? ' (optional step goes on)' : ''}`);
          break;
        case 'uncaught':
          add(r.at, `    ⤴ ${String(d.code)} not caught here`);
          break;
        case 'compensate':
          add(r.at, `    ↶ compensate ${r.step ?? r.path} with ${String(d.activity)}`);
          break;
        case 'approval':
          add(r.at, `    ✋ approval by ${short(d.roles)} up to ${formatDuration(Number(d.timeoutMs))}`);
          break;
        case 'escalated':
          add(r.at, `    ⇧ escalated to ${short(d.roles)} for ${formatDuration(Number(d.timeoutMs))}`);
          break;
        case 'decided':
          add(r.at, `    ✓ ${String(d.decision)} by ${String(d.decided_by)}`);
          break;
        case 'end':
          add(r.at, `    ■ end ${String(d.status)}${d.reason ? `: ${short(d.reason)}` : ''}`);
          break;
        default:
          break;
      }
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
    out.push(`journey ${j.workflowId}: ${result}`);
  }
  if (!trace.journeys.length) out.push('no journey started');
  out.push(`${trace.activities.length} activity call(s)`);
  return out.join('\n');
}
