import { useId, useState } from 'react';
import { parse as parseYaml } from 'yaml';
import { type ApiProblem, api, must } from '../lib/api.ts';
import { asProblem, Problem } from '../lib/ui.tsx';
import { renderMessage } from './message-preview.ts';
import { MAX_RECORDED_EVENTS, RecordedEventsError, recordedScript } from './recorded-events.ts';
import { offsetLabel, type Trace, traceRows } from './trace-rows.ts';

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
  const [imported, setImported] = useState<string | null>(null);
  const fileId = useId();

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

  const rows = result ? traceRows(result.trace, renderMessage) : [];

  /** A file of recorded events becomes the script (shown, editable) — the platform has no event read. */
  const importRecorded = async (file: File) => {
    setProblem(null);
    try {
      const made = recordedScript(await file.text(), file.name);
      setScript(made.yaml);
      setImported(
        `${made.events.length} event(s) imported${made.from ? `, recorded ${made.from} to ${made.to}` : ''}${
          made.dropped ? `; ${made.dropped} dropped (at most ${MAX_RECORDED_EVENTS})` : ''
        }.`,
      );
    } catch (e) {
      if (!(e instanceof RecordedEventsError)) throw e;
      setImported(null);
      setProblem({ status: 400, code: 'VALIDATION_FAILED', message: `${file.name}: ${e.message}` });
    }
  };

  return (
    <div className="simulate">
      <fieldset className="sim-source">
        <legend>Events to simulate</legend>
        <p className="muted small">
          Write a script, or import recorded events: JSON lines or a JSON array of events (your own logs,{' '}
          <code>clickhouse/events.jsonl</code> of a participant export, or an earlier simulation's trace).
          They are delivered at the distances they were recorded at.
        </p>
        <label htmlFor={fileId}>Import recorded events</label>
        <input
          id={fileId}
          type="file"
          accept=".json,.jsonl,.ndjson,application/json,application/x-ndjson"
          data-testid="sim-import"
          onChange={(e) => {
            const f = e.currentTarget.files?.[0];
            e.currentTarget.value = '';
            if (f) void importRecorded(f);
          }}
        />
        {imported ? (
          <p role="status" className="small" data-testid="sim-imported">
            {imported}
          </p>
        ) : null}
      </fieldset>
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
              <li key={i} className={`k-${r.kind}${r.refused ? ' refused' : ''}`} data-kind={r.kind}>
                <time>{offsetLabel(r.t)}</time>{' '}
                <span className="badge">{r.refused ? 'refused' : r.kind}</span> {r.text}
                {r.message ? (
                  'error' in r.message ? (
                    <span className="muted small"> ({r.message.error})</span>
                  ) : (
                    <details className="sim-message">
                      <summary>
                        Subject: <q>{r.message.subject}</q>{' '}
                        <span className="muted">({r.message.locale})</span>
                      </summary>
                      <pre className="code small">{r.message.text}</pre>
                    </details>
                  )
                ) : null}
              </li>
            ))}
          </ol>
          <p>
            <button type="button" onClick={() => downloadTrace(result.trace)}>
              Download the trace (JSON, importable again)
            </button>
          </p>
          <details>
            <summary>As `pulse simulate` prints it</summary>
            <pre className="code small">{result.text}</pre>
          </details>
        </div>
      ) : null}
    </div>
  );
}

/** The trace as a file: importing it replays the same events (a regression check after an edit). */
function downloadTrace(trace: Trace) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(trace, null, 2)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `simulation-${trace.pulse}.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
