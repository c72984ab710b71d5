/**
 * YAML → plain data, keeping the parsed node tree so any JSON path can be mapped back to file:line:column.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { Diagnostic, JsonPath } from './errors.ts';

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

/** Parses YAML text. Never throws: syntax errors come back as YAML_SYNTAX diagnostics with positions. */
export function parseSource(source: string, file: string): ParsedSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };

  const diagnostics: Diagnostic[] = doc.errors.map((e) => {
    const pos = at(e.pos[0]);
    return {
      code: 'YAML_SYNTAX',
      severity: 'error',
      file,
      line: pos.line,
      column: pos.column,
      path: '(root)',
      message: firstLine(e.message),
      found: e.code,
      expected: 'well-formed YAML',
    };
  });

  const locate = (path: JsonPath, opts: { key?: boolean } = {}): Position => {
    let node: unknown = doc.contents;
    let best: Position = rangeStart(node, at) ?? { line: 1, column: 1 };
    for (let i = 0; i < path.length; i++) {
      const part = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(part));
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

  let data: unknown;
  if (diagnostics.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: 100 });
      if (isCyclic(data)) {
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

/** True when a value contains itself (a YAML alias inside the node it names). */
function isCyclic(value: unknown, ancestors: Set<object> = new Set()): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (ancestors.has(value)) return true;
  ancestors.add(value);
  const children = Array.isArray(value) ? value : Object.values(value);
  const cyclic = children.some((child) => isCyclic(child, ancestors));
  ancestors.delete(value);
  return cyclic;
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
