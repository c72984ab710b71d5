/** Number formatting shared by every dashboard card, so a figure reads the same in a card and its table. */

/** A ratio as a percentage with one decimal; `null` (a zero denominator) is a dash, never 0 %. */
export const pct = (r: number | null | undefined) =>
  r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)}%`;

/** A plain ratio (K-factor, invites per participant) with three decimals. */
export const ratio = (r: number | null | undefined) => (r === null || r === undefined ? '—' : r.toFixed(3));

export const count = (n: number | null | undefined) =>
  n === null || n === undefined ? '—' : n.toLocaleString('en-US');

/** An amount with two decimals, for a table whose row names the currency. */
export const decimal = (n: number | null | undefined) =>
  n === null || n === undefined
    ? '—'
    : n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** Money in one currency, two decimals; currencies are never added together (docs/metrics.md#currencies). */
export const money = (n: number | null | undefined, currency: string) =>
  n === null || n === undefined
    ? '—'
    : `${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency}`;

/** A duration in seconds as the two largest units (3 d 4 h, 5 h 12 min, 40 s). */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.round(seconds);
  const units: [number, string][] = [
    [86_400, 'd'],
    [3_600, 'h'],
    [60, 'min'],
    [1, 's'],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [size, unit] of units) {
    if (rest >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** "12 s ago", "3 min ago": how old a figure is. */
export function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

export const PALETTE = ['#3b4fd8', '#0c8599', '#2b8a3e', '#e67700', '#c2255c', '#7048e8', '#5c940d'] as const;
