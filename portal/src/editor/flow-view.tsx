import { useEffect, useRef, useState } from 'react';

type Mermaid = typeof import('mermaid').default;
let loading: Promise<Mermaid> | null = null;

/** Mermaid is large: it loads the first time a flow is drawn. */
function loadMermaid(): Promise<Mermaid> {
  loading ??= import('mermaid').then(({ default: m }) => {
    m.initialize({
      startOnLoad: false,
      securityLevel: 'strict',
      theme: 'base',
      themeVariables: {
        primaryColor: '#eef2ff',
        primaryBorderColor: '#4c6ef5',
        lineColor: '#5c677d',
        fontSize: '13px',
      },
      flowchart: { htmlLabels: false, curve: 'basis' },
    });
    return m;
  });
  return loading;
}

let seq = 0;

/**
 * The compiled plan as a flowchart (dsl/mermaid.ts's output). Clicking a node (or Enter on it) names
 * its Mermaid key, `s_<step id>`, which the page maps back to the step's YAML.
 */
export function FlowView({ mermaid, onNode }: { mermaid: string | undefined; onNode(key: string): void }) {
  const host = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<'idle' | 'loading' | 'ready' | 'error'>('idle');
  const [error, setError] = useState('');
  useEffect(() => {
    if (!mermaid) return;
    let live = true;
    setState((s) => (s === 'ready' ? s : 'loading'));
    void loadMermaid()
      .then((m) => m.render(`flow-${++seq}`, mermaid))
      .then(({ svg }) => {
        if (!live || !host.current) return;
        host.current.innerHTML = svg;
        for (const node of host.current.querySelectorAll<SVGGElement>('g.node')) {
          node.setAttribute('tabindex', '0');
          node.setAttribute('role', 'button');
          node.setAttribute('aria-description', 'shows the step in the YAML');
        }
        setState('ready');
      })
      .catch((e: unknown) => {
        if (!live) return;
        setError(e instanceof Error ? e.message : String(e));
        setState('error');
      });
    return () => {
      live = false;
    };
  }, [mermaid]);
  const pickRef = useRef(onNode);
  pickRef.current = onNode;
  // Nodes are drawn by Mermaid (not React): one delegated listener for clicks and Enter/Space.
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const pick = (target: EventTarget | null) => {
      const node = (target as Element | null)?.closest?.('g.node');
      const key = /(?:flowchart-)?(s_[A-Za-z0-9_]+?)-\d+$/.exec(node?.id ?? '')?.[1];
      if (key) pickRef.current(key);
    };
    const onClick = (e: MouseEvent) => pick(e.target);
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        pick(e.target);
      }
    };
    el.addEventListener('click', onClick);
    el.addEventListener('keydown', onKey);
    return () => {
      el.removeEventListener('click', onClick);
      el.removeEventListener('keydown', onKey);
    };
  }, []);
  return (
    <div className="flow">
      {!mermaid ? <p className="state">Fix the errors to see the flow.</p> : null}
      {mermaid && state === 'loading' ? (
        <p className="state" role="status">
          Drawing the flow…
        </p>
      ) : null}
      {state === 'error' ? <p className="state error">The flow could not be drawn: {error}</p> : null}
      <div ref={host} className={`flow-svg ${mermaid ? '' : 'stale'}`} data-testid="flow" />
    </div>
  );
}
