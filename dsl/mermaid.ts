/**
 * Plan → Mermaid flowchart, so a marketer can see the journey (`pulse plan` prints it).
 */

import { formatDuration } from '../contract/duration.ts';
import { ANY_ERROR } from '../contract/errors.ts';
import type { Plan, Step } from '../contract/plan.ts';

interface Exit {
  from: string;
  label?: string;
  /** Error paths (catch clauses) are drawn dashed. */
  dashed?: boolean;
}

class Builder {
  readonly lines: string[] = [];
  private readonly used = new Set<string>();

  node(id: string, shape: 'box' | 'diamond' | 'round' | 'hex' | 'circle' | 'sub', text: string): string {
    let key = `s_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;
    for (let n = 2; this.used.has(key); n++) key = `s_${id.replace(/[^A-Za-z0-9_]/g, '_')}_${n}`;
    this.used.add(key);
    const t = `"${label(text)}"`;
    const body =
      shape === 'diamond'
        ? `{${t}}`
        : shape === 'round'
          ? `([${t}])`
          : shape === 'hex'
            ? `{{${t}}}`
            : shape === 'circle'
              ? `((${t}))`
              : shape === 'sub'
                ? `[[${t}]]`
                : `[${t}]`;
    this.lines.push(`  ${key}${body}`);
    return key;
  }

  edge(exits: readonly Exit[], to: string, dashed = false): void {
    for (const e of exits) {
      const arrow = dashed || e.dashed ? '-.->' : '-->';
      this.lines.push(
        e.label ? `  ${e.from} ${arrow}|"${label(e.label)}"| ${to}` : `  ${e.from} ${arrow} ${to}`,
      );
    }
  }
}

function label(text: string): string {
  return text.replaceAll('"', '#quot;').replaceAll('\n', '<br/>');
}

function brief(value: unknown): string {
  if (typeof value === 'number') return formatDuration(value);
  const text = JSON.stringify(value) ?? '';
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** A Mermaid `flowchart TD` of the plan's steps, branches, waits and loops. */
export function toMermaid(plan: Plan): string {
  const b = new Builder();
  b.lines.push('flowchart TD');
  const sched = plan.trigger.schedule;
  const yearly = plan.trigger.anniversary;
  const origin = yearly ? (yearly.of.trait ?? yearly.of.property ?? yearly.of.event) : undefined;
  const start = b.node(
    'start',
    'round',
    sched
      ? `schedule: ${sched.cron} ${sched.timezone ?? 'UTC'}`
      : yearly
        ? `every ${yearly.every} on ${origin} at ${yearly.at} ${yearly.timezone}`
        : `trigger: ${plan.trigger.events.join(' | ')}`,
  );
  const exits = list(b, plan.steps, [{ from: start }]);
  if (exits.length > 0) b.edge(exits, b.node('done', 'round', 'completed'));
  return `${b.lines.join('\n')}\n`;
}

function list(b: Builder, steps: readonly Step[], entry: Exit[]): Exit[] {
  let exits = entry;
  for (const step of steps) {
    if (exits.length === 0) break; // after an `end`: unreachable
    exits = one(b, step, exits);
  }
  return exits;
}

function one(b: Builder, s: Step, entry: Exit[]): Exit[] {
  switch (s.kind) {
    case 'do': {
      const n = b.node(s.id, 'box', `${s.id}\n${s.activity}${s.optional ? ' (optional)' : ''}`);
      b.edge(entry, n);
      if (s.compensate) {
        // The saga edge: what undoes this step if a later one fails (run in reverse order).
        const undo = b.node(`${s.id}_undo`, 'box', `undo ${s.id}\n${s.compensate.activity}`);
        b.edge([{ from: n, label: 'compensate', dashed: true }], undo);
      }
      return [{ from: n }];
    }
    case 'if': {
      const n = b.node(s.id, 'diamond', s.id);
      b.edge(entry, n);
      const yes = list(b, s.then, [{ from: n, label: 'yes' }]);
      const no = s.else.length > 0 ? list(b, s.else, [{ from: n, label: 'no' }]) : [{ from: n, label: 'no' }];
      return [...yes, ...no];
    }
    case 'switch': {
      const n = b.node(s.id, 'diamond', s.id);
      b.edge(entry, n);
      const out: Exit[] = [];
      for (const c of s.cases) {
        const eq = (c.when as { '=='?: unknown[] })['=='];
        const label = Array.isArray(eq) ? String(eq[1]) : brief(c.when);
        out.push(...list(b, c.steps, [{ from: n, label }]));
      }
      out.push(
        ...(s.default.length > 0
          ? list(b, s.default, [{ from: n, label: 'default' }])
          : [{ from: n, label: 'default' }]),
      );
      return out;
    }
    case 'parallel': {
      const fork = b.node(s.id, 'hex', `${s.id}: in parallel${s.optional ? ' (optional branches)' : ''}`);
      b.edge(entry, fork);
      const join = b.node(`${s.id}_join`, 'circle', 'all done');
      for (const branch of s.branches)
        b.edge(list(b, branch.steps, [{ from: fork, label: branch.name }]), join);
      return [{ from: join }];
    }
    case 'wait': {
      const timeout = s.timeoutMs !== undefined ? ` (up to ${brief(s.timeoutMs)})` : '';
      const n = b.node(s.id, 'hex', `${s.id}\nwait for ${s.events.join(' | ')}${timeout}`);
      b.edge(entry, n);
      const got =
        s.then.length > 0 ? list(b, s.then, [{ from: n, label: 'event' }]) : [{ from: n, label: 'event' }];
      const late =
        s.onTimeout.length > 0
          ? list(b, s.onTimeout, [{ from: n, label: 'timeout' }])
          : [{ from: n, label: 'timeout' }];
      return [...got, ...late];
    }
    case 'approval': {
      const escalate = s.escalate ? `, then ${s.escalate.roles.join(' | ')}` : '';
      const head = `${s.id}\napproval by ${s.roles.join(' | ')}${escalate} (up to ${brief(s.timeoutMs)})`;
      const n = b.node(s.id, 'hex', head);
      b.edge(entry, n);
      const branch = (steps: Step[], label: string): Exit[] =>
        steps.length > 0 ? list(b, steps, [{ from: n, label }]) : [{ from: n, label }];
      const approved = s.timeoutDecision === 'approve' ? 'approved / timeout' : 'approved';
      const rejected = s.timeoutDecision === 'reject' ? 'rejected / timeout' : 'rejected';
      return [
        ...branch(s.then, approved),
        ...branch(s.onReject, rejected),
        ...(s.timeoutDecision ? [] : branch(s.onTimeout, 'timeout')),
      ];
    }
    case 'sleep': {
      const what = s.until !== undefined ? `until ${brief(s.until)}` : `for ${brief(s.durationMs)}`;
      const n = b.node(s.id, 'hex', `${s.id}\nsleep ${what}`);
      b.edge(entry, n);
      return [{ from: n }];
    }
    case 'repeat':
    case 'for_each': {
      const head =
        s.kind === 'repeat'
          ? `${s.id}\nrepeat ${typeof s.times === 'number' ? `${s.times}×` : brief(s.times)} (max ${s.maxIterations})`
          : `${s.id}\nfor each ${s.as} (max ${s.maxItems})${s.optional ? ', failing items skipped' : ''}`;
      const n = b.node(s.id, 'sub', head);
      b.edge(entry, n);
      const body = list(b, s.steps, [{ from: n, label: 'next' }]);
      b.edge(body, n, true);
      return [{ from: n, label: 'done' }];
    }
    case 'set':
    case 'emit':
    case 'call': {
      const text =
        s.kind === 'set'
          ? `set ${Object.keys(s.values).join(', ')}`
          : s.kind === 'emit'
            ? `emit ${s.event}`
            : `call ${s.plan}${s.optional ? ' (optional)' : ''}`;
      const n = b.node(s.id, s.kind === 'call' ? 'sub' : 'box', `${s.id}\n${text}`);
      b.edge(entry, n);
      return [{ from: n }];
    }
    case 'end': {
      const n = b.node(s.id, 'round', `end: ${s.status}`);
      b.edge(entry, n);
      return [];
    }
    case 'raise': {
      const n = b.node(s.id, 'round', `raise ${s.code}`);
      b.edge(entry, n);
      return [];
    }
    case 'try': {
      // The body; from the block node, one dotted edge per catch clause (labelled with its codes).
      const n = b.node(s.id, 'sub', `${s.id}: try`);
      b.edge(entry, n);
      const out = list(b, s.steps, [{ from: n }]);
      for (const c of s.catch) {
        const codes = c.errors.includes(ANY_ERROR) ? 'any error' : c.errors.join(' | ');
        const label = `catch ${codes}`;
        const caught: Exit = { from: n, label, dashed: true };
        out.push(...(c.steps.length > 0 ? list(b, c.steps, [caught]) : [caught]));
      }
      return s.finally && s.finally.length > 0 ? list(b, s.finally, out) : out;
    }
    default: {
      const never: never = s;
      return never;
    }
  }
}
