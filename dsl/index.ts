/**
 * Public API of the campaign DSL: YAML source → validated, compiled Plan, or diagnostics.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChildResolver, compileSource, type LoadResult, type SourceOptions } from './source.ts';

export type { TemplateCheckOptions } from './check-templates.ts';
export { compile } from './compile.ts';
export { type Diagnostic, type DiagnosticCode, formatDiagnostic, formatDiagnostics } from './errors.ts';
export { MAX_DEPTH, MAX_PLAN_BYTES, MAX_SOURCE_BYTES, MAX_STEPS } from './limits.ts';
export { toMermaid } from './mermaid.ts';
export { parseSource } from './parse.ts';
export { validateCampaign } from './validate.ts';

/** The repository's campaigns/ folder, where `call` references are resolved by default. */
export const DEFAULT_CAMPAIGNS_DIR = fileURLToPath(new URL('../campaigns/', import.meta.url));

export type { ChildResolver, ChildSource, LoadResult, SourceOptions } from './source.ts';
export { compileSource } from './source.ts';

export interface LoadOptions extends SourceOptions {
  /** Folder where `call: <file or id>` is resolved (default: the repository's campaigns/). */
  campaignsDir?: string;
}

/** Reads, validates and compiles a campaign file. Never throws for bad input. */
export function loadCampaignFile(path: string, opts: LoadOptions = {}): LoadResult {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch {
    return {
      diagnostics: [
        {
          code: 'FILE_NOT_FOUND',
          severity: 'error',
          file: path,
          line: 0,
          column: 0,
          path: '(root)',
          message: 'cannot read the file',
        },
      ],
    };
  }
  return compileCampaignSource(source, path, opts);
}

/** Validates and compiles campaign YAML text; `file` names it in diagnostics. Never throws for bad input. */
export function compileCampaignSource(source: string, file: string, opts: LoadOptions = {}): LoadResult {
  const { campaignsDir = DEFAULT_CAMPAIGNS_DIR, ...rest } = opts;
  return compileSource(source, file, folderResolver(campaignsDir), { key: resolve(file), ...rest });
}

/** Children of `call:` from a folder, read from disk (canonical absolute paths, for cycle detection). */
function folderResolver(dir: string): ChildResolver {
  return {
    where: dir,
    find(ref) {
      const file = findChildFile(ref, dir);
      if (!file) return undefined;
      try {
        return { file, key: resolve(file), source: readFileSync(file, 'utf8') };
      } catch {
        return undefined;
      }
    },
  };
}

/** `call: x` → campaigns/x (if it names a file), x.pulse.yaml, x.yaml, or the file whose `id:` is x. */
function findChildFile(ref: string, dir: string): string | undefined {
  if (ref.includes('..') || ref.startsWith('/')) return undefined;
  const candidates = /\.ya?ml$/.test(ref) ? [ref] : [`${ref}.pulse.yaml`, `${ref}.yaml`];
  for (const c of candidates) {
    const p = join(dir, c);
    if (existsSync(p)) return p;
  }
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'));
  } catch {
    return undefined;
  }
  const idLine = new RegExp(
    `^id:\\s*['"]?${ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"]?\\s*(#.*)?$`,
    'm',
  );
  for (const f of files.sort()) {
    const p = join(dir, f);
    if (idLine.test(readFileSync(p, 'utf8'))) return p;
  }
  return undefined;
}
