import { AppError, type ErrorDetail } from '../../../contract/errors.ts';

/**
 * Size and depth limits of JSON-Logic rules. Rules come from clients (campaign plans, reward programs),
 * and compiling one walks it recursively, so a hostile rule nested a hundred thousand deep would exhaust
 * the stack and a huge one would hold a request for long. Both are refused before any compilation, by a
 * walk that stops at the first node past a limit: refusing costs at most MAX_RULE_NODES steps.
 */

/** Deepest nesting of objects and arrays in one rule (the rule itself is level 1). */
export const MAX_RULE_DEPTH = 64;

/** Most values (objects, arrays and literals) in one rule. */
export const MAX_RULE_NODES = 20_000;

interface Frame {
  node: unknown;
  depth: number;
  parent: Frame | null;
  key: string;
}

/** The first limit `rule` breaks, with the path to where it broke it (`and.0.or.1`); undefined when within. */
export function ruleLimitProblem(rule: unknown, base = ''): ErrorDetail | undefined {
  const stack: Frame[] = [{ node: rule, depth: 1, parent: null, key: '' }];
  let count = 0;
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (++count > MAX_RULE_NODES) {
      return {
        path: pathOf(frame, base),
        message: `a rule holds at most ${MAX_RULE_NODES} values`,
        expected: `at most ${MAX_RULE_NODES} values`,
      };
    }
    const { node } = frame;
    if (node === null || typeof node !== 'object') continue;
    if (frame.depth > MAX_RULE_DEPTH) {
      return {
        path: pathOf(frame, base),
        message: `a rule nests at most ${MAX_RULE_DEPTH} levels deep`,
        expected: `at most ${MAX_RULE_DEPTH} levels`,
      };
    }
    const entries: [string, unknown][] = Array.isArray(node)
      ? node.map((v, i) => [String(i), v])
      : Object.entries(node);
    // Pushed in reverse so the walk (and the path reported) goes in document order.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, value] = entries[i]!;
      stack.push({ node: value, depth: frame.depth + 1, parent: frame, key });
    }
    if (stack.length > MAX_RULE_NODES) {
      return {
        path: pathOf(frame, base),
        message: `a rule holds at most ${MAX_RULE_NODES} values`,
        expected: `at most ${MAX_RULE_NODES} values`,
      };
    }
  }
  return undefined;
}

/** Throws VALIDATION_FAILED (400) naming the path when `rule` breaks a limit. */
export function assertRuleWithinLimits(rule: unknown, base = ''): void {
  const problem = ruleLimitProblem(rule, base);
  if (problem) throw new AppError('VALIDATION_FAILED', `rule too large: ${problem.message}`, [problem]);
}

function pathOf(frame: Frame, base: string): string {
  const parts: string[] = [];
  for (let f: Frame | null = frame; f?.parent; f = f.parent) parts.push(f.key);
  parts.reverse();
  if (base) parts.unshift(base);
  return parts.length > 0 ? parts.join('.') : '(root)';
}
