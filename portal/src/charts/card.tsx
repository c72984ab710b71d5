import { type ReactNode, useEffect, useState } from 'react';
import { currentApiKey } from '../lib/api.ts';
import { type Async, Loading, Problem } from '../lib/ui.tsx';
import { age } from './format.ts';
import { downloadWithKey, type ReportAnswer } from './report.ts';

/** Re-renders every few seconds so "12 s ago" keeps telling the truth. */
export function useNow(everyMs = 5_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/** When the figures were computed and whether they came from the cache (docs/metrics.md#freshness). */
export function Freshness({ asOf, cached, maxAge }: { asOf: string; cached?: boolean; maxAge?: number }) {
  const now = useNow();
  return (
    <span className="freshness" title={`Computed at ${new Date(asOf).toLocaleString()}`}>
      <time dateTime={asOf}>as of {age(asOf, now)}</time>
      {cached === undefined ? null : cached ? ` · cached (≤ ${maxAge ?? 30} s)` : ' · fresh'}
    </span>
  );
}

/** A download link: the session cookie rides it, or the tab's API key fetches it (see downloadWithKey). */
export function DownloadLink({
  href,
  filename,
  children,
}: {
  href: string;
  filename: string;
  children: ReactNode;
}) {
  const [failed, setFailed] = useState<string | null>(null);
  return (
    <>
      <a
        className="button small"
        href={href}
        download={filename}
        onClick={(e) => {
          if (!currentApiKey()) return;
          e.preventDefault();
          downloadWithKey(href, filename).catch((err: Error) => setFailed(err.message));
        }}
      >
        {children}
      </a>
      {failed ? (
        <span className="muted" role="alert">
          {failed}
        </span>
      ) : null}
    </>
  );
}

/**
 * One dashboard card: its title, the report's freshness, a link to the metric's definition and its CSV,
 * and its own loading, error and empty states, so one failing report never blanks the page.
 */
export function ReportCard<T>({
  id,
  title,
  value,
  csv,
  isEmpty,
  empty,
  wide,
  children,
  extra,
}: {
  id: string;
  title: string;
  value: Async<ReportAnswer<T>> & { reload(): void };
  /** The report's CSV URL (`?format=csv`). */
  csv?: string;
  isEmpty(data: T): boolean;
  empty: ReactNode;
  wide?: boolean;
  children(data: T, answer: ReportAnswer<T>): ReactNode;
  /** Controls in the header (e.g. the segment picker). */
  extra?: ReactNode;
}) {
  const ready = value.state === 'ready' ? value.data : null;
  return (
    <section className={`panel card${wide ? ' wide' : ''}`} aria-labelledby={`${id}-h`} data-card={id}>
      <header className="card-head">
        <h2 id={`${id}-h`}>{title}</h2>
        {extra}
      </header>
      <div className="card-body">
        {value.state === 'loading' ? <Loading what={title.toLowerCase()} /> : null}
        {value.state === 'error' ? <Problem problem={value.problem} onRetry={value.reload} /> : null}
        {ready ? (
          isEmpty(ready.data) ? (
            <div className="state empty">{empty}</div>
          ) : (
            children(ready.data, ready)
          )
        ) : null}
      </div>
      {ready ? (
        <footer className="card-foot">
          <Freshness asOf={ready.as_of} cached={ready.cached} maxAge={ready.max_age} />
          <span className="card-links">
            <a href={ready.definition} target="_blank" rel="noreferrer">
              Definition<span className="sr-only"> of {title}</span>
            </a>
            {csv ? (
              <DownloadLink href={csv} filename={`${id}.csv`}>
                CSV<span className="sr-only"> of {title}</span>
              </DownloadLink>
            ) : null}
          </span>
        </footer>
      ) : null}
    </section>
  );
}

/** A small figure with its label, for the headline numbers of a card. */
export function Figure({
  label,
  value,
  metric,
  hint,
}: {
  label: string;
  value: string;
  metric: string;
  hint?: string;
}) {
  return (
    <div className="figure">
      <dt>{label}</dt>
      <dd data-metric={metric}>{value}</dd>
      {hint ? <dd className="figure-hint">{hint}</dd> : null}
    </div>
  );
}
