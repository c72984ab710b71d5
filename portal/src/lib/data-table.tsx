import type { ReactNode } from 'react';
import { Empty } from './ui.tsx';

/** One column: its header and how a row renders in it. */
export interface Column<T> {
  /** Stable key (React key and `data-col`). */
  key: string;
  header: ReactNode;
  cell(row: T): ReactNode;
  /** `num` right-aligns figures; `nowrap` keeps buttons on one line. */
  className?: 'num' | 'nowrap' | 'mono';
}

/** Row selection for bulk actions: a checkbox column with "select all". */
export interface Selection {
  picked: ReadonlySet<string>;
  onChange(next: Set<string>): void;
  /** The accessible name of one row's checkbox, e.g. the reward id. */
  label?(id: string): string;
}

/**
 * The one table every page uses: a caption for screen readers, column headers with `scope`, an empty
 * state instead of an empty table, optional row selection, and horizontal scrolling on narrow screens.
 */
export function DataTable<T>({
  caption,
  columns,
  rows,
  rowKey,
  empty,
  selection,
  compact,
  testId,
}: {
  /** Says what the table lists; read by screen readers (visually hidden). */
  caption: string;
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey(row: T): string;
  /** Shown instead of the table when `rows` is empty. */
  empty: ReactNode;
  selection?: Selection;
  compact?: boolean;
  testId?: string;
}) {
  if (rows.length === 0) return <Empty>{empty}</Empty>;
  const ids = rows.map(rowKey);
  const all = selection ? ids.every((id) => selection.picked.has(id)) : false;
  const toggle = (id: string) => {
    if (!selection) return;
    const next = new Set(selection.picked);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    selection.onChange(next);
  };
  return (
    // A table wider than the screen scrolls sideways: a named, focusable region, so a keyboard reaches it.
    // biome-ignore lint/a11y/noNoninteractiveTabindex: the scrolling region must be focusable (WCAG 2.1.1)
    <section className="table-wrap" aria-label={caption} tabIndex={0}>
      <table className={compact ? 'compact' : undefined} data-testid={testId}>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {selection ? (
              <th scope="col">
                <input
                  type="checkbox"
                  aria-label="Select all"
                  checked={all}
                  onChange={(e) => selection.onChange(e.target.checked ? new Set(ids) : new Set())}
                />
              </th>
            ) : null}
            {columns.map((c) => (
              <th scope="col" key={c.key} className={c.className}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => {
            const id = ids[i] as string;
            return (
              <tr key={id}>
                {selection ? (
                  <td>
                    <input
                      type="checkbox"
                      aria-label={selection.label ? selection.label(id) : `Select ${id}`}
                      checked={selection.picked.has(id)}
                      onChange={() => toggle(id)}
                    />
                  </td>
                ) : null}
                {columns.map((c) => (
                  <td key={c.key} className={c.className} data-col={c.key}>
                    {c.cell(row)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
