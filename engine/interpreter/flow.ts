/**
 * Executors return `Flow`: nothing when the step finished synchronously (set, end, an `if` whose branch
 * was all synchronous), or a promise when it waits on Temporal (activity, timer, signal, child).
 *
 * Why not plain async/await: the workflow sandbox installs a V8 promise hook that captures a stack trace
 * for every promise a workflow creates (for Temporal's stack-trace query). Each `async` call and each
 * `await` is such a promise, so a naive interpreter pays several stack captures per step that a
 * hand-written workflow does not. Chaining only where something is really pending keeps the interpreter
 * within a few percent of hand-written code (see bench/engine.ts).
 */
// biome-ignore lint/suspicious/noConfusingVoidType: synchronous executors simply return nothing
export type Flow = void | Promise<unknown>;

/** Runs `next` after `flow`: immediately when `flow` finished synchronously. */
export function andThen(flow: Flow, next: () => Flow): Flow {
  return flow ? flow.then(next) : next();
}
