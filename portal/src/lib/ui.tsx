import { type DependencyList, type ReactNode, useCallback, useEffect, useState } from 'react';
import type { ApiProblem } from './api.ts';

export type Async<T> =
  | { state: 'loading' }
  | { state: 'error'; problem: ApiProblem }
  | { state: 'ready'; data: T };

/** Runs `load` on mount and when `deps` change; `reload` runs it again (after a mutation). */
export function useAsync<T>(load: () => Promise<T>, deps: DependencyList): Async<T> & { reload(): void } {
  const [value, setValue] = useState<Async<T>>({ state: 'loading' });
  const [n, setN] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller names the dependencies
  useEffect(() => {
    let live = true;
    setValue((v) => (v.state === 'ready' ? v : { state: 'loading' }));
    load().then(
      (data) => live && setValue({ state: 'ready', data }),
      (problem: ApiProblem) => live && setValue({ state: 'error', problem: asProblem(problem) }),
    );
    return () => {
      live = false;
    };
  }, [...deps, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { ...value, reload };
}

export function asProblem(e: unknown): ApiProblem {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) return e as ApiProblem;
  return { status: 0, code: 'CLIENT', message: e instanceof Error ? e.message : String(e) };
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="state" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state empty">{children}</div>;
}

export function Problem({ problem, onRetry }: { problem: ApiProblem; onRetry?: () => void }) {
  const unavailable = problem.status === 404 || problem.status === 501;
  return (
    <div className={`state ${unavailable ? 'unavailable' : 'error'}`} role="alert">
      <strong>{unavailable ? 'Not available on this platform yet' : 'Something went wrong'}</strong>
      <p>
        {problem.message} <code>{problem.code}</code>
      </p>
      {problem.details?.length ? (
        <ul>
          {problem.details.map((d) => (
            <li key={`${d.path}:${d.message}`}>
              <code>{d.path}</code> {d.message}
            </li>
          ))}
        </ul>
      ) : null}
      {problem.request_id ? <p className="muted">Request {problem.request_id}</p> : null}
      {onRetry && !unavailable ? (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** Loading / error / ready in one place, so every page has all three states. */
export function Show<T>({
  value,
  what,
  children,
}: {
  value: Async<T> & { reload(): void };
  what: string;
  children: (data: T) => ReactNode;
}) {
  if (value.state === 'loading') return <Loading what={what} />;
  if (value.state === 'error') return <Problem problem={value.problem} onRetry={value.reload} />;
  return <>{children(value.data)}</>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status.toLowerCase()}`}>{status}</span>;
}

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1>{title}</h1>
      {children ? <div className="actions">{children}</div> : null}
    </header>
  );
}

/** A modal dialog on the native <dialog> (focus trap, Escape, backdrop). */
export function Dialog({
  open,
  title,
  onClose,
  children,
}: {
  open: boolean;
  title: string;
  onClose(): void;
  children: ReactNode;
}) {
  const [el, setEl] = useState<HTMLDialogElement | null>(null);
  useEffect(() => {
    if (!el) return;
    if (open && !el.open) el.showModal();
    if (!open && el.open) el.close();
  }, [open, el]);
  return (
    <dialog ref={setEl} aria-label={title} onClose={onClose} className="dialog">
      {open ? (
        <>
          <h2>{title}</h2>
          {children}
        </>
      ) : null}
    </dialog>
  );
}
