/**
 * Size and depth limits of campaign sources and plans. Every input the DSL reads is bounded, so
 * validation and compilation take time linear in what they are given and a hostile file is refused
 * quickly with a diagnostic instead of tying up a deploy.
 */

/** Largest campaign source accepted, in UTF-8 bytes (FILE_TOO_LARGE beyond). */
export const MAX_SOURCE_BYTES = 1024 * 1024;

/** Deepest nesting of maps and lists in a document, expressions included (TOO_DEEP beyond). */
export const MAX_DEPTH = 64;

/** Most steps in one campaign, nested steps included (TOO_MANY_STEPS beyond). */
export const MAX_STEPS = 1000;

/**
 * Largest compiled plan, as UTF-8 JSON bytes (PLAN_TOO_LARGE beyond). The plan travels as workflow input;
 * Temporal warns above 512 KiB per payload and fails at 2 MiB, and every journey's history repeats it.
 */
export const MAX_PLAN_BYTES = 512 * 1024;

/**
 * Deepest flow nesting (`[`, `{`) in the raw text, found by a linear scan before the YAML parser runs so
 * a megabyte of brackets is refused without being parsed. Counts flow collections only where YAML can
 * open one (after `:`, `-`, `?`, `,`, another bracket, or at the start of a line), skips quoted text and
 * comments inside flow collections. Returns the offset of the first bracket past `limit`, or -1.
 */
export function flowDepthExceeded(source: string, limit: number = MAX_DEPTH): number {
  let depth = 0;
  let lastSignificant = '\n';
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\r') continue;
    if (ch === '\n') {
      lastSignificant = '\n';
      continue;
    }
    if (depth > 0 && (ch === '"' || ch === "'")) {
      i = skipQuoted(source, i, ch);
      lastSignificant = ch;
      continue;
    }
    if (ch === '#' && (i === 0 || /\s/.test(source[i - 1]!))) {
      while (i < source.length && source[i] !== '\n') i++;
      lastSignificant = '\n';
      continue;
    }
    if (ch === '[' || ch === '{') {
      if (depth > 0 || ':-?\n'.includes(lastSignificant)) {
        depth++;
        if (depth > limit) return i;
      }
    } else if ((ch === ']' || ch === '}') && depth > 0) {
      depth--;
    }
    lastSignificant = ch;
  }
  return -1;
}

function skipQuoted(source: string, start: number, quote: string): number {
  for (let i = start + 1; i < source.length; i++) {
    const ch = source[i];
    if (quote === '"' && ch === '\\') i++;
    else if (ch === quote) {
      if (quote === "'" && source[i + 1] === "'") i++;
      else return i;
    }
  }
  return source.length;
}
