import { autocompletion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { yaml } from '@codemirror/lang-yaml';
import { type Diagnostic as CmDiagnostic, forceLinting, linter, lintGutter } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { EditorView, hoverTooltip, keymap, type Tooltip } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';
import type { Diagnostic } from '../../../dsl/errors.ts';

/** Where a diagnostic's line:column (1-based) falls in the text, spanning the token it starts. */
export function rangeOf(
  state: EditorState,
  d: Pick<Diagnostic, 'line' | 'column'>,
): { from: number; to: number } {
  if (d.line < 1) return { from: 0, to: Math.min(1, state.doc.length) };
  const line = state.doc.line(Math.min(d.line, state.doc.lines));
  const from = Math.min(line.from + Math.max(0, d.column - 1), line.to);
  const rest = state.doc.sliceString(from, line.to);
  const token = /^[^\s:,\]}]+/.exec(rest)?.[0].length ?? rest.trimEnd().length;
  return { from, to: Math.max(from + Math.min(token || 1, line.to - from), from) };
}

export interface YamlEditorProps {
  initial: string;
  /** Checks the text (as you type, debounced); the diagnostics are drawn in the text and the gutter. */
  check(text: string): readonly Diagnostic[];
  onChange(text: string): void;
  complete(ctx: CompletionContext): CompletionResult | null;
  hover(view: EditorView, pos: number): Tooltip | null | Promise<Tooltip | null>;
  onView(view: EditorView): void;
}

/** CodeMirror 6 with YAML, the campaign linter, completion and hover docs. */
export function YamlEditor(props: YamlEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const latest = useRef(props);
  latest.current = props;
  // The editor is created once; later text comes from the user (or `view.dispatch` from the page).
  // biome-ignore lint/correctness/useExhaustiveDependencies: created once, reads the latest props through a ref
  useEffect(() => {
    if (!host.current) return;
    const view = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: props.initial,
        extensions: [
          basicSetup,
          yaml(),
          lintGutter(),
          linter(
            (v): CmDiagnostic[] =>
              latest.current.check(v.state.doc.toString()).map((d) => ({
                ...rangeOf(v.state, d),
                severity: d.severity === 'warning' ? 'warning' : 'error',
                source: d.code,
                message: `${d.path}: ${d.message}${d.expected !== undefined ? ` (expected ${d.expected})` : ''}`,
              })),
            { delay: 250 },
          ),
          autocompletion({ override: [(ctx) => latest.current.complete(ctx)], activateOnTyping: true }),
          hoverTooltip((v, pos) => latest.current.hover(v, pos)),
          keymap.of([]),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) latest.current.onChange(u.state.doc.toString());
          }),
          EditorView.contentAttributes.of({ 'aria-label': 'Campaign YAML', 'aria-multiline': 'true' }),
          EditorView.theme({ '&': { height: '100%' }, '.cm-scroller': { fontFamily: 'var(--mono)' } }),
        ],
      }),
    });
    // The scroller holds the text: reachable by keyboard on its own, as a named region.
    view.scrollDOM.tabIndex = 0;
    view.scrollDOM.setAttribute('role', 'region');
    view.scrollDOM.setAttribute('aria-label', 'Campaign YAML');
    latest.current.onView(view);
    forceLinting(view);
    return () => view.destroy();
  }, []);
  return <div ref={host} className="cm-host" />;
}
