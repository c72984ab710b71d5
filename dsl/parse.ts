/**
 * YAML → plain data, keeping the parsed node tree so any JSON path can be mapped back to file:line:column.
 */
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  type YAMLMap,
} from 'yaml';
import { type Diagnostic, formatPath, type JsonPath } from './errors.ts';
import { flowDepthExceeded, MAX_DEPTH, MAX_SOURCE_BYTES } from './limits.ts';

export interface Position {
  line: number;
  column: number;
}

/** A parsed campaign source: the data (when the YAML is well-formed) and a position lookup. */
export interface ParsedSource {
  file: string;
  /** Plain JS value of the document; undefined when the YAML has syntax errors. */
  data: unknown;
  /** YAML syntax errors, already located. */
  diagnostics: Diagnostic[];
  /** Position of the node at `path` (of its key with `{ key: true }`); the nearest ancestor if absent. */
  locate(path: JsonPath, opts?: { key?: boolean }): Position;
}

/**
 * Parses YAML text. Never throws: syntax errors come back as YAML_SYNTAX diagnostics with positions, a
 * source over MAX_SOURCE_BYTES as FILE_TOO_LARGE and nesting past MAX_DEPTH as TOO_DEEP (both refused
 * before any further work).
 */
export function parseSource(source: string, file: string): ParsedSource {
  const refused = refuseUnbounded(source, file);
  if (refused)
    return { file, data: undefined, diagnostics: [refused], locate: () => ({ line: 1, column: 1 }) };
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };

  // One syntax error usually throws the parser off for the rest of the file, so what follows the first
  // is mostly its echo: report the first (earliest) one, and say how many more the parser noticed.
  const first = doc.errors.reduce<(typeof doc.errors)[number] | undefined>(
    (best, e) => (best === undefined || e.pos[0] < best.pos[0] ? e : best),
    undefined,
  );
  const diagnostics: Diagnostic[] = [];
  if (first) {
    const pos = at(first.pos[0]);
    const more = doc.errors.length - 1;
    diagnostics.push({
      code: 'YAML_SYNTAX',
      severity: 'error',
      file,
      line: pos.line,
      column: pos.column,
      path: '(root)',
      message:
        more > 0
          ? `${firstLine(first.message)} (the parser noticed ${more} more problem(s) after it, most likely caused by this one; fix it and validate again)`
          : firstLine(first.message),
      found: first.code,
      expected: 'well-formed YAML',
    });
  }

  // Each map's keys are indexed on first lookup, so locating a diagnostic costs its path's length,
  // not the size of the maps along it (a file with many findings in one big map stays linear).
  const keyIndex = new WeakMap<YAMLMap, Map<string, Pair>>();
  const pairOf = (map: YAMLMap, key: string): Pair | undefined => {
    let index = keyIndex.get(map);
    if (!index) {
      index = new Map();
      for (const p of map.items) {
        const k = isPair(p) ? keyText(p.key) : undefined;
        if (k !== undefined && !index.has(k)) index.set(k, p);
      }
      keyIndex.set(map, index);
    }
    return index.get(key);
  };
  const locate = (path: JsonPath, opts: { key?: boolean } = {}): Position => {
    let node: unknown = doc.contents;
    let best: Position = rangeStart(node, at) ?? { line: 1, column: 1 };
    for (let i = 0; i < path.length; i++) {
      const part = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = pairOf(node, String(part));
        if (!pair) return best;
        if (last && opts.key) return rangeStart(pair.key, at) ?? best;
        node = pair.value;
      } else if (isSeq(node) && typeof part === 'number') {
        node = node.items[part];
      } else {
        return best;
      }
      best = rangeStart(node, at) ?? best;
    }
    return best;
  };

  if (diagnostics.length === 0) {
    const deep = tooDeep(doc.contents);
    if (deep) {
      const pos = rangeStart(deep.node, at) ?? { line: 1, column: 1 };
      diagnostics.push({
        code: 'TOO_DEEP',
        severity: 'error',
        file,
        line: pos.line,
        column: pos.column,
        path: formatPath(deep.path),
        message: `maps and lists nest deeper than ${MAX_DEPTH} levels`,
        expected: `at most ${MAX_DEPTH} levels of nesting`,
      });
    }
  }

  let data: unknown;
  if (diagnostics.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: 100 });
      const shape = dataShape(data);
      if (shape === 'deep') {
        data = undefined;
        diagnostics.push({
          code: 'TOO_DEEP',
          severity: 'error',
          file,
          line: 1,
          column: 1,
          path: '(root)',
          message: `with its aliases expanded, the document nests deeper than ${MAX_DEPTH} levels`,
          expected: `at most ${MAX_DEPTH} levels of nesting`,
        });
      } else if (shape === 'cyclic') {
        data = undefined;
        diagnostics.push({
          code: 'YAML_SYNTAX',
          severity: 'error',
          file,
          line: 1,
          column: 1,
          path: '(root)',
          message: 'an alias refers to a node that contains it (the document would be infinite)',
          expected: 'aliases that do not contain themselves',
        });
      }
    } catch (err) {
      // e.g. an alias bomb past maxAliasCount: report, do not throw.
      diagnostics.push({
        code: 'YAML_SYNTAX',
        severity: 'error',
        file,
        line: 1,
        column: 1,
        path: '(root)',
        message: err instanceof Error ? firstLine(err.message) : 'cannot read the YAML document',
        expected: 'well-formed YAML',
      });
    }
  }
  return { file, data, diagnostics, locate };
}

const utf8 = new TextEncoder();

/** FILE_TOO_LARGE or TOO_DEEP (flow brackets) found by linear scans of the raw text, before parsing. */
function refuseUnbounded(source: string, file: string): Diagnostic | undefined {
  // UTF-16 length ≤ UTF-8 length, so the cheap check settles most sources before counting bytes.
  const bytes = source.length > MAX_SOURCE_BYTES ? source.length : utf8.encode(source).length;
  if (bytes > MAX_SOURCE_BYTES) {
    return {
      code: 'FILE_TOO_LARGE',
      severity: 'error',
      file,
      line: 1,
      column: 1,
      path: '(root)',
      message: `the campaign source is larger than ${MAX_SOURCE_BYTES} bytes`,
      found: source.length > MAX_SOURCE_BYTES ? `more than ${MAX_SOURCE_BYTES} bytes` : `${bytes} bytes`,
      expected: `at most ${MAX_SOURCE_BYTES} bytes (${MAX_SOURCE_BYTES / 1024} KiB)`,
    };
  }
  const offset = flowDepthExceeded(source, MAX_DEPTH);
  if (offset < 0) return undefined;
  const { line, column } = lineAndColumn(source, offset);
  return {
    code: 'TOO_DEEP',
    severity: 'error',
    file,
    line,
    column,
    path: '(root)',
    message: `brackets nest deeper than ${MAX_DEPTH} levels`,
    expected: `at most ${MAX_DEPTH} levels of nesting`,
  };
}

function lineAndColumn(source: string, offset: number): Position {
  let line = 1;
  let start = 0;
  for (let i = source.indexOf('\n'); i >= 0 && i < offset; i = source.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

/** The first node nested deeper than MAX_DEPTH, with its path; walked without recursion. */
function tooDeep(root: unknown): { node: unknown; path: (string | number)[] } | undefined {
  const stack: { node: unknown; depth: number; path: (string | number)[] }[] = [
    { node: root, depth: 0, path: [] },
  ];
  while (stack.length > 0) {
    const { node, depth, path } = stack.pop()!;
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth >= MAX_DEPTH) return { node, path };
    // Paths are only needed for the one node reported, but copying them is bounded by MAX_DEPTH.
    if (isMap(node)) {
      for (const p of node.items) {
        if (isPair(p))
          stack.push({ node: p.value, depth: depth + 1, path: [...path, keyText(p.key) ?? '?'] });
      }
    } else {
      node.items.forEach((item, i) => {
        stack.push({ node: item, depth: depth + 1, path: [...path, i] });
      });
    }
  }
  return undefined;
}

/** 'cyclic' when a value contains itself (a YAML alias inside the node it names), 'deep' past MAX_DEPTH. */
function dataShape(
  value: unknown,
  ancestors: Set<object> = new Set(),
  depth = 0,
): 'cyclic' | 'deep' | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (ancestors.has(value)) return 'cyclic';
  if (depth >= MAX_DEPTH) return 'deep';
  ancestors.add(value);
  const children = Array.isArray(value) ? value : Object.values(value);
  let found: 'cyclic' | 'deep' | undefined;
  for (const child of children) {
    found = dataShape(child, ancestors, depth + 1);
    if (found) break;
  }
  ancestors.delete(value);
  return found;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function rangeStart(node: unknown, at: (offset: number) => Position): Position | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? at(range[0]) : undefined;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
