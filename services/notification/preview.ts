import { AppError } from '../../contract/errors.ts';
import type { Db } from '../platform/db.ts';
import {
  analysisEngine,
  builtInAnalysisEngine,
  builtInTemplates,
  localeChain,
  renderSource,
  TEMPLATE_PARTS,
  type TemplateSource,
} from './render.ts';
import * as repo from './repo.ts';

export interface PreviewInput {
  name: string;
  locale?: string;
  channel?: 'email' | 'in_app' | 'sms';
  /** The draft the editor holds; absent: the version a journey would render now. */
  source?: TemplateSource;
  /** The values to render with; absent: a sample derived from the template's variables. */
  data?: Record<string, unknown>;
}

export interface Preview {
  name: string;
  locale: string;
  source: 'draft' | 'client' | 'built_in';
  version: number | null;
  subject: string;
  text: string;
  html: string | null;
  variables: string[];
  data: Record<string, unknown>;
}

const NUMERIC = /(amount|count|total|points|value|percent|rank|price|limit|days|number|score)$/i;
const DATE = /(date|_at|expires|until|since|deadline)$/i;

/** A plausible value for a variable named by its last segment (numbers for amounts, dates for dates). */
function sampleLeaf(path: string[]): unknown {
  const leaf = path.at(-1) ?? '';
  if (/currency$/i.test(leaf)) return 'USD';
  if (NUMERIC.test(leaf)) return 25;
  if (DATE.test(leaf)) return '2026-01-15T12:00:00.000Z';
  if (/(link|url)$/i.test(leaf)) return `https://example.com/${leaf}`;
  if (/email$/i.test(leaf)) return 'ann@example.com';
  return `[${path.join('.')}]`;
}

/**
 * The sample context of a template: every variable path it reads, nested, with a value shaped by its
 * name. A path that is both a value and a parent (`reward` and `reward.amount`) becomes the object.
 */
export function sampleData(paths: readonly string[][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const path of [...paths].sort((a, b) => b.length - a.length)) {
    if (path.some((seg) => typeof seg !== 'string' || seg === '__proto__' || seg === 'constructor')) continue;
    let cur = out;
    path.forEach((seg, i) => {
      const last = i === path.length - 1;
      const existing = cur[seg];
      if (last) {
        if (existing === undefined) cur[seg] = sampleLeaf(path);
      } else {
        if (existing === null || typeof existing !== 'object') cur[seg] = {};
        cur = cur[seg] as Record<string, unknown>;
      }
    });
  }
  return out;
}

/** The variable paths of every part, parsed; a part that is not valid Liquid is a 400 at its position. */
function variablesOf(source: TemplateSource, builtIn: boolean, at: string): string[][] {
  const engine = builtIn ? builtInAnalysisEngine : analysisEngine;
  const seen = new Map<string, string[]>();
  for (const part of TEMPLATE_PARTS) {
    const text = source[part];
    if (text === undefined) continue;
    let segments: (string | number)[][];
    try {
      segments = engine.globalVariableSegmentsSync(engine.parse(text)) as (string | number)[][];
    } catch (err) {
      throw new AppError('VALIDATION_FAILED', 'template is not valid Liquid', [
        { path: `${at}${part}`, message: positionOf(err), expected: 'valid Liquid' },
      ]);
    }
    for (const seg of segments) {
      const path = seg.map(String);
      seen.set(path.join('.'), path);
    }
  }
  return [...seen.values()];
}

/** liquidjs's message with its position spelt out: "output … not closed, line 1, column 4". */
function positionOf(err: unknown): string {
  const first = err instanceof Error ? (err.message.split('\n')[0] ?? '') : 'invalid';
  return first.replace(/line:(\d+), col:(\d+)/, 'line $1, column $2').slice(0, 300);
}

/**
 * Renders a template for a preview through the sender's renderer (same engines, strict variables, same
 * locale chain): the caller's draft, else the client's newest version, else the built-in file.
 */
export async function previewTemplate(db: Db, clientId: string, input: PreviewInput): Promise<Preview> {
  const locale = input.locale ?? 'en';
  let picked: { source: TemplateSource; locale: string; kind: Preview['source']; version: number | null };
  if (input.source) {
    picked = { source: input.source, locale, kind: 'draft', version: null };
  } else {
    picked = await published(db, clientId, input.name, locale);
  }
  const builtIn = picked.kind === 'built_in';
  const paths = variablesOf(picked.source, builtIn, input.source ? 'source.' : '');
  const data = input.data ?? sampleData(paths);
  const rendered = await renderSource(input.name, picked.source, data, {
    locale: picked.locale,
    builtIn,
    ...(input.channel ? { channel: input.channel } : {}),
  });
  return {
    name: input.name,
    locale: picked.locale,
    source: picked.kind,
    version: picked.version,
    subject: rendered.subject,
    text: rendered.text,
    html: rendered.html ?? null,
    variables: paths.map((p) => p.join('.')).sort(),
    data,
  };
}

/** What a journey would render now for the locale: the client's newest version first, then the built-in. */
async function published(db: Db, clientId: string, name: string, locale: string) {
  const chain = localeChain(locale);
  for (const l of chain) {
    const custom = await repo.findTemplate(db, clientId, name, l);
    if (custom)
      return {
        source: {
          subject: custom.subject,
          text: custom.text,
          ...(custom.html ? { html: custom.html } : {}),
        },
        locale: l,
        kind: 'client' as const,
        version: custom.version,
      };
  }
  const builtIn = builtInTemplates().get(name);
  for (const l of chain) {
    const t = builtIn?.get(l);
    if (t) return { source: t.source, locale: l, kind: 'built_in' as const, version: null };
  }
  throw new AppError('NOT_FOUND', `no template named "${name}"`, [
    { path: 'name', message: 'unknown template' },
  ]);
}
