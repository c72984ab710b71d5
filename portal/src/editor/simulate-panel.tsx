import { useState } from 'react';
import { parse as parseYaml } from 'yaml';
import { type ApiProblem, api, must } from '../lib/api.ts';
import { asProblem, Problem } from '../lib/ui.tsx';

interface TraceStep {
  at: string;
  kind: string;
  path: string;
  step?: string;
  detail?: Record<string, unknown>;
}
interface Trace {
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
  decisions?: { at: string; task: string; decision: string; result: string }[];
}

const offset = (ms: number) => {
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
};

export const DEFAULT_SCRIPT = `# Events delivered through the router at offsets from the start (virtual time).
events:
  - at: 0
    event: { event: user_signed_up, participant_id: ada }
`;

/** Simulate from the editor: a script, the server's time-skipping run, the trace as a timeline. */
export function SimulatePanel({
  source,
  file,
  settings,
  initialScript,
  disabled,
}: {
  source: string;
  file: string;
  settings: Record<string, unknown>;
  initialScript: string;
  disabled: boolean;
}) {
  const [script, setScript] = useState(initialScript);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [result, setResult] = useState<{ text: string; trace: Trace } | null>(null);

  const run = async () => {
    setProblem(null);
    let parsed: unknown;
    try {
      parsed = parseYaml(script);
    } catch (e) {
      setProblem({
        status: 400,
        code: 'VALIDATION_FAILED',
        message: `the script is not YAML: ${(e as Error).message}`,
      });
      return;
    }
    setBusy(true);
    try {
      const res = await must(
        api().POST('/v1/campaigns/simulate', {
          body: { source, file, settings, script: parsed as { events: { event: { event: string } }[] } },
        }),
      );
      setResult({ text: res.text, trace: res.trace as unknown as Trace });
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(false);
    }
  };

  const start = result ? Date.parse(result.trace.startedAt) : 0;
  const rows = result
    ? [
        ...result.trace.events.map((e) => ({
          t: Date.parse(e.at) - start,
          kind: 'event',
          text: `${e.event.event}${e.event.participant_id ? ` (${e.event.participant_id})` : ''} → ${e.routes.map((r) => r.action + (r.reason ? `: ${r.reason}` : '')).join(', ') || 'no campaign'}`,
        })),
        ...result.trace.journeys.flatMap((j) =>
          j.steps
            .filter((s) => s.kind !== 'exit')
            .map((s) => ({
              t: Date.parse(s.at) - start,
              kind: s.kind,
              text: `${s.path}${s.detail?.activity ? ` ${String(s.detail.activity)}` : ''}${s.detail?.event ? ` ${String(s.detail.event)}` : ''}`,
            })),
        ),
        ...(result.trace.decisions ?? []).map((d) => ({
          t: Date.parse(d.at) - start,
          kind: 'decision',
          text: `${d.decision} ${d.task}: ${d.result}`,
        })),
      ].sort((a, b) => a.t - b.t)
    : [];

  return (
    <div className="simulate">
      <label htmlFor="sim-script">Simulation script (YAML, as for `pulse simulate --events`)</label>
      <textarea
        id="sim-script"
        className="mono"
        rows={8}
        value={script}
        onChange={(e) => setScript(e.target.value)}
        spellCheck={false}
      />
      <button type="button" className="primary" onClick={() => void run()} disabled={busy || disabled}>
        {busy ? 'Simulating…' : 'Run simulation'}
      </button>
      {disabled ? <span className="muted"> Fix the errors first.</span> : null}
      {problem ? <Problem problem={problem} /> : null}
      {result ? (
        <div className="sim-result" aria-live="polite">
          <h3>Outcome</h3>
          <ul>
            {result.trace.journeys.length === 0 ? <li>No journey started.</li> : null}
            {result.trace.journeys.map((j) => (
              <li key={j.workflowId} data-testid="sim-journey">
                <code>{j.workflowId.split(':').slice(3).join(':') || j.workflowId}</code>:{' '}
                {j.failure
                  ? `failed (${j.failure.type}: ${j.failure.message})`
                  : j.unfinished
                    ? 'still running at the horizon'
                    : (j.outcome?.status ?? 'ended')}
              </li>
            ))}
          </ul>
          <h3>Timeline</h3>
          <ol className="timeline" data-testid="sim-timeline">
            {rows.map((r, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: rows are a fixed, ordered list
              <li key={i} className={`k-${r.kind}`}>
                <time>{offset(r.t)}</time> <span className="badge">{r.kind}</span> {r.text}
              </li>
            ))}
          </ol>
          <details>
            <summary>As `pulse simulate` prints it</summary>
            <pre className="code small">{result.text}</pre>
          </details>
        </div>
      ) : null}
    </div>
  );
}
