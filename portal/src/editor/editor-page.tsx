import { EditorSelection } from '@codemirror/state';
import type { EditorView } from '@codemirror/view';
import { useCallback, useMemo, useRef, useState } from 'react';
import { parse as parseYaml } from 'yaml';
import { type ApiProblem, api, must } from '../lib/api.ts';
import { Link, navigate, useLocation } from '../lib/router.tsx';
import { asProblem, Dialog, PageHeader, Problem, Show, useAsync } from '../lib/ui.tsx';
import { type AssistData, campaignCompletion, campaignHover } from './assist.ts';
import { folded, lineDiff } from './diff.ts';
import {
  type BrowserCheck,
  checkCampaign,
  type Diagnostic,
  formatDiagnostic,
  SHIPPED,
} from './dsl-browser.ts';
import { FlowView } from './flow-view.tsx';
import { SettingsForm } from './settings-form.tsx';
import { DEFAULT_SCRIPT, SimulatePanel } from './simulate-panel.tsx';
import { rangeOf, YamlEditor } from './yaml-editor.tsx';

interface Loaded {
  source: string;
  file: string;
  settings: Record<string, unknown>;
  script: string;
  campaignId?: string;
}

/** The campaign editor: YAML with live diagnostics, the flow, settings, simulate and deploy. */
export default function EditorPage({ campaignId }: { campaignId?: string }) {
  const { query } = useLocation();
  const template = query.get('template');
  const assist = useAsync(async (): Promise<AssistData> => {
    const [events, templates] = await Promise.all([
      must(api().GET('/v1/event-types')).catch(() => ({ data: [] as { name: string }[] })),
      must(api().GET('/v1/notifications/templates', { params: { query: { limit: 100 } } })).catch(() => ({
        data: [] as { name: string }[],
      })),
    ]);
    return {
      declaredEvents: events.data.map((e) => e.name),
      templates: templates.data.map((t) => t.name),
      templatePreview: async (name) => {
        const { versions } = await must(
          api().GET('/v1/notifications/templates/{name}', { params: { path: { name } } }),
        );
        const newest = [...versions].sort((a, b) => b.version - a.version)[0];
        return newest ? { locale: newest.locale, subject: newest.subject, text: newest.text } : null;
      },
    };
  }, []);
  const loaded = useAsync(async (): Promise<Loaded | null> => {
    if (campaignId) {
      const { campaign } = await must(
        api().GET('/v1/campaigns/{id}', { params: { path: { id: campaignId } } }),
      );
      const { version } = await must(
        api().GET('/v1/campaigns/{id}/versions/{version}', {
          params: { path: { id: campaignId, version: campaign.current_version } },
        }),
      );
      const shipped = SHIPPED.find((p) => p.name === campaign.pulse);
      return {
        source: version.source,
        file: version.source_file,
        settings: version.settings,
        script: shipped?.script ?? DEFAULT_SCRIPT,
        campaignId,
      };
    }
    const shipped = SHIPPED.find((p) => p.name === template);
    return shipped
      ? { source: shipped.source, file: shipped.file, settings: {}, script: shipped.script ?? DEFAULT_SCRIPT }
      : null;
  }, [campaignId, template]);

  if (!campaignId && !template) return <TemplatePicker />;
  return (
    <Show value={loaded} what="the campaign">
      {(l) =>
        l ? (
          <Show value={assist} what="the client's events and templates">
            {(a) => <Editor key={`${l.campaignId ?? ''}:${l.file}`} loaded={l} assist={a} />}
          </Show>
        ) : (
          <Problem problem={{ status: 404, code: 'NOT_FOUND', message: `no shipped pulse "${template}"` }} />
        )
      }
    </Show>
  );
}

function TemplatePicker() {
  return (
    <>
      <PageHeader title="New campaign" />
      <p>Start from one of the nine pulses; change the steps, settings and rewards, simulate, then deploy.</p>
      <ul className="cards pulses">
        {SHIPPED.map((p) => (
          <li key={p.name}>
            <Link href={`/campaigns/new?template=${p.name}`} className="card-link">
              <strong>{p.title}</strong>
              <span className="muted">{p.goal}</span>
            </Link>
          </li>
        ))}
      </ul>
    </>
  );
}

/** What the validator takes from the API: declared events, and the published templates a send may name. */
const checkOptions = (a: AssistData) => ({ declaredEvents: a.declaredEvents, clientTemplates: a.templates });

const sanitize = (id: string) => `s_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;

function Editor({ loaded, assist }: { loaded: Loaded; assist: AssistData }) {
  const view = useRef<EditorView | null>(null);
  const [source, setSource] = useState(loaded.source);
  const [settings, setSettings] = useState<Record<string, unknown>>(loaded.settings);
  const [result, setResult] = useState<BrowserCheck>(() =>
    checkCampaign(loaded.source, loaded.file, { settings: loaded.settings, ...checkOptions(assist) }),
  );
  const [tab, setTab] = useState<'flow' | 'settings' | 'simulate'>('flow');
  const [deploying, setDeploying] = useState(false);
  const settingsRef = useRef(settings);
  settingsRef.current = settings;

  const check = useCallback(
    (text: string): readonly Diagnostic[] => {
      const r = checkCampaign(text, loaded.file, { settings: settingsRef.current, ...checkOptions(assist) });
      setResult(r);
      return r.diagnostics;
    },
    [loaded.file, assist],
  );
  const complete = useMemo(() => campaignCompletion(() => assist), [assist]);
  const hover = useMemo(() => campaignHover(() => assist), [assist]);

  const declared = useMemo(() => {
    try {
      const doc = parseYaml(source) as { settings?: Record<string, never> } | null;
      return doc?.settings;
    } catch {
      return undefined;
    }
  }, [source]);

  const jump = (d: Pick<Diagnostic, 'line' | 'column'>) => {
    const v = view.current;
    if (!v) return;
    const { from, to } = rangeOf(v.state, d);
    v.dispatch({ selection: EditorSelection.range(from, to), scrollIntoView: true });
    v.focus();
  };
  const selectStep = (key: string) => {
    const v = view.current;
    if (!v) return;
    const lines = v.state.doc.toString().split('\n');
    const base = key.replace(/_\d+$/, '');
    for (const k of [key, base]) {
      const i = lines.findIndex((l) => {
        const m = /^\s*(?:-\s*)?id:\s*["']?([^"'#\s]+)/.exec(l);
        return m?.[1] !== undefined && sanitize(m[1]) === k;
      });
      if (i >= 0) {
        const line = v.state.doc.line(i + 1);
        v.dispatch({
          selection: EditorSelection.range(
            line.from + (line.text.length - line.text.trimStart().length),
            line.to,
          ),
          scrollIntoView: true,
        });
        v.focus();
        return;
      }
    }
  };
  const onSettings = (next: Record<string, unknown>) => {
    setSettings(next);
    settingsRef.current = next;
    setResult(checkCampaign(source, loaded.file, { settings: next, ...checkOptions(assist) }));
  };

  const errors = result.diagnostics.filter((d) => d.severity !== 'warning');
  return (
    <div className="editor-page">
      <PageHeader title={loaded.campaignId ? 'Edit campaign' : 'New campaign'}>
        <span
          className={`badge ${errors.length ? 'badge-failed' : 'badge-active'}`}
          role="status"
          data-testid="validity"
        >
          {errors.length ? `${errors.length} error(s)` : 'valid'}
        </span>
        <button
          type="button"
          className="primary"
          disabled={errors.length > 0 || !result.plan}
          onClick={() => setDeploying(true)}
        >
          Deploy…
        </button>
      </PageHeader>
      <p className="muted">
        <code>{loaded.file}</code> · checked as you type by the same validator as <code>pulse validate</code>.
      </p>
      <div className="editor-grid">
        <section className="editor-pane" aria-label="YAML">
          <YamlEditor
            initial={loaded.source}
            check={check}
            onChange={setSource}
            complete={complete}
            hover={hover}
            onView={(v) => {
              view.current = v;
            }}
          />
          <Diagnostics list={result.diagnostics} onPick={jump} />
        </section>
        <section className="side-pane" aria-label="Flow, settings and simulation">
          <div className="tabs" role="tablist">
            {(['flow', 'settings', 'simulate'] as const).map((t) => (
              <button
                key={t}
                type="button"
                role="tab"
                aria-selected={tab === t}
                className={tab === t ? 'active' : ''}
                onClick={() => setTab(t)}
              >
                {t === 'flow' ? 'Flow' : t === 'settings' ? 'Settings' : 'Simulate'}
              </button>
            ))}
          </div>
          <div role="tabpanel" hidden={tab !== 'flow'}>
            <FlowView mermaid={result.mermaid} onNode={selectStep} />
          </div>
          <div role="tabpanel" hidden={tab !== 'settings'}>
            <SettingsForm declared={declared} values={settings} onChange={onSettings} />
          </div>
          <div role="tabpanel" hidden={tab !== 'simulate'}>
            <SimulatePanel
              source={source}
              file={loaded.file}
              settings={settings}
              initialScript={loaded.script}
              disabled={errors.length > 0}
            />
          </div>
        </section>
      </div>
      {deploying ? (
        <DeployDialog
          source={source}
          file={loaded.file}
          settings={settings}
          resolvedSettings={result.plan?.settings ?? settings}
          planId={result.plan?.id ?? ''}
          campaignId={loaded.campaignId}
          warnings={result.diagnostics.filter((d) => d.severity === 'warning')}
          onClose={() => setDeploying(false)}
        />
      ) : null}
    </div>
  );
}

function Diagnostics({ list, onPick }: { list: readonly Diagnostic[]; onPick(d: Diagnostic): void }) {
  return (
    <div className="diagnostics" aria-live="polite">
      <h2 className="sr-only">Problems</h2>
      {list.length === 0 ? (
        <p className="ok">No problem found.</p>
      ) : (
        <ul data-testid="diagnostics">
          {list.map((d) => (
            <li
              key={`${d.line}:${d.column}:${d.code}:${d.path}`}
              className={d.severity === 'warning' ? 'warn' : 'err'}
              data-code={d.code}
              data-line={d.line}
              data-column={d.column}
              data-severity={d.severity ?? 'error'}
            >
              <button type="button" className="linkish" onClick={() => onPick(d)} title={formatDiagnostic(d)}>
                <span className="pos">
                  {d.line}:{d.column}
                </span>{' '}
                <strong className="code-name">{d.code}</strong> <code>{d.path}</code> {d.message}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function DeployDialog(props: {
  source: string;
  file: string;
  settings: Record<string, unknown>;
  /** The values the plan runs with (defaults and overrides), as the live version stores them. */
  resolvedSettings: Record<string, unknown>;
  planId: string;
  campaignId: string | undefined;
  warnings: Diagnostic[];
  onClose(): void;
}) {
  // The live version to compare with: this campaign's, or the one deployed from the same `id:`.
  const live = useAsync(async () => {
    let id = props.campaignId;
    if (!id) {
      const list = await must(api().GET('/v1/campaigns', { params: { query: { limit: 100 } } }));
      id = list.data.find((c) => c.definition_id === props.planId)?.id;
    }
    if (!id) return null;
    const { campaign } = await must(api().GET('/v1/campaigns/{id}', { params: { path: { id } } }));
    const { version } = await must(
      api().GET('/v1/campaigns/{id}/versions/{version}', {
        params: { path: { id, version: campaign.current_version } },
      }),
    );
    return {
      id,
      version: campaign.current_version,
      status: campaign.status,
      source: version.source,
      settings: version.settings,
    };
  }, []);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [done, setDone] = useState<{ campaign_id: string; version: number; created: boolean } | null>(null);
  const deploy = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const res = await must(
        api().POST('/v1/campaigns/deploy', {
          body: { source: props.source, file: props.file, settings: props.settings },
        }),
      );
      setDone(res);
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open title="Deploy this campaign" onClose={props.onClose}>
      {done ? (
        <div role="status">
          <p>
            {done.created
              ? `Deployed as version ${done.version}.`
              : `Version ${done.version} is already this plan; nothing changed.`}
          </p>
          <div className="actions">
            <button type="button" onClick={props.onClose}>
              Keep editing
            </button>
            <button
              type="button"
              className="primary"
              onClick={() => navigate(`/campaigns/${encodeURIComponent(done.campaign_id)}`)}
            >
              Open the campaign
            </button>
          </div>
        </div>
      ) : (
        <Show value={live} what="the live version">
          {(l) => {
            const diff = l ? folded(lineDiff(l.source, props.source)) : [];
            const changed = diff.some((d) => d.kind === '+' || d.kind === '-');
            // Compared as resolved values: sending no override of a default is no change.
            const settingsChanged = l ? !sameValues(l.settings, props.resolvedSettings) : false;
            return (
              <>
                {l ? (
                  <p>
                    Live: version {l.version} ({l.status}).{' '}
                    {changed || settingsChanged ? 'Changes against it:' : 'No change against it.'}
                  </p>
                ) : (
                  <p>This creates a new campaign (no live version with id “{props.planId}”).</p>
                )}
                {changed ? (
                  <pre className="diff" data-testid="deploy-diff">
                    {diff.map((d) => (
                      <div
                        key={d.id}
                        className={`d${d.kind === '+' ? 'add' : d.kind === '-' ? 'del' : d.kind === '…' ? 'fold' : ''}`}
                      >
                        {d.kind === '…' ? `  … ${d.text}` : `${d.kind} ${d.text}`}
                      </div>
                    ))}
                  </pre>
                ) : null}
                {settingsChanged ? (
                  <p>
                    Settings: <code>{JSON.stringify(l?.settings)}</code> →{' '}
                    <code>{JSON.stringify(props.resolvedSettings)}</code>
                  </p>
                ) : null}
                {props.warnings.length ? (
                  <ul className="warn">
                    {props.warnings.map((w) => (
                      <li key={`${w.code}:${w.path}`}>
                        {w.code} {w.path}: {w.message}
                      </li>
                    ))}
                  </ul>
                ) : null}
                <p className="note">
                  Running journeys stay on the version they started with; new journeys get the new version.
                </p>
                {problem ? <Problem problem={problem} /> : null}
                <div className="actions">
                  <button type="button" onClick={props.onClose}>
                    Cancel
                  </button>
                  <button type="button" className="primary" disabled={busy} onClick={() => void deploy()}>
                    {busy ? 'Deploying…' : l ? `Deploy version ${l.version + 1}` : 'Deploy'}
                  </button>
                </div>
              </>
            );
          }}
        </Show>
      )}
    </Dialog>
  );
}

/** Same keys with the same values, whatever their order. */
function sameValues(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
}
