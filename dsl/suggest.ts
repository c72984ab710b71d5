/** "Did you mean …?" suggestions for misspelt names. */

/** Levenshtein distance, small inputs only (names, not documents). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** Candidates looked at per suggestion: a hint is a courtesy, so its cost is bounded per diagnostic. */
export const MAX_SUGGESTION_CANDIDATES = 200;

/** Longest word a suggestion is computed for (edit distance is quadratic in length). */
const MAX_SUGGESTION_LENGTH = 64;

/**
 * The candidate closest to `word` when it is plausibly a typo of it (case-insensitive); else undefined.
 * Looks at the first MAX_SUGGESTION_CANDIDATES candidates only, and skips those whose length alone puts
 * them out of reach.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  if (w.length > MAX_SUGGESTION_LENGTH) return undefined;
  const limit = Math.max(1, Math.min(3, Math.floor(w.length / 3)));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  let seen = 0;
  for (const c of candidates) {
    if (++seen > MAX_SUGGESTION_CANDIDATES) break;
    if (Math.abs(c.length - w.length) > limit) continue;
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
