/** One line of a line diff: kept, added or removed. */
export interface DiffLine {
  kind: ' ' | '+' | '-';
  text: string;
}

/**
 * A line diff by longest common subsequence (campaign files are a few hundred lines: the quadratic
 * table is small). Bounded: past 3000 lines a side, the whole text is shown as replaced.
 */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length > 3000 || b.length > 3000)
    return [
      ...a.map((text) => ({ kind: '-' as const, text })),
      ...b.map((text) => ({ kind: '+' as const, text })),
    ];
  const n = a.length;
  const m = b.length;
  const table = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      (table[i] as Uint16Array)[j] =
        a[i] === b[j]
          ? ((table[i + 1] as Uint16Array)[j + 1] ?? 0) + 1
          : Math.max((table[i + 1] as Uint16Array)[j] ?? 0, (table[i] as Uint16Array)[j + 1] ?? 0);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ kind: ' ', text: a[i] ?? '' });
      i++;
      j++;
    } else if (((table[i + 1] as Uint16Array)[j] ?? 0) >= ((table[i] as Uint16Array)[j + 1] ?? 0))
      out.push({ kind: '-', text: a[i++] ?? '' });
    else out.push({ kind: '+', text: b[j++] ?? '' });
  }
  while (i < n) out.push({ kind: '-', text: a[i++] ?? '' });
  while (j < m) out.push({ kind: '+', text: b[j++] ?? '' });
  return out;
}

/** Only the changed lines with `context` lines around them; runs of unchanged lines fold to "…". */
export function folded(
  lines: DiffLine[],
  context = 3,
): ((DiffLine | { kind: '…'; text: string }) & { id: number })[] {
  const keep = new Set<number>();
  lines.forEach((l, i) => {
    if (l.kind !== ' ') for (let k = i - context; k <= i + context; k++) keep.add(k);
  });
  const out: ((DiffLine | { kind: '…'; text: string }) & { id: number })[] = [];
  let skipped = 0;
  lines.forEach((l, i) => {
    if (keep.has(i)) {
      if (skipped) out.push({ kind: '…', text: `${skipped} unchanged line(s)`, id: -i });
      skipped = 0;
      out.push({ ...l, id: i });
    } else skipped++;
  });
  if (skipped) out.push({ kind: '…', text: `${skipped} unchanged line(s)`, id: -lines.length });
  return out;
}
