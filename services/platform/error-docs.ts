import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { ERROR_DOCS_PATH } from './http.ts';

/**
 * GET /docs/errors: the error reference (docs/errors.md) as a small HTML page, one `<h2 id="<code>">` per
 * error code so every response's `doc_url` lands on its section. The markdown is read and rendered once,
 * when the app is built; `?format=md` returns the source as text/markdown.
 */
export const ERROR_DOCS_FILE = new URL('../../docs/errors.md', import.meta.url);

export function createErrorDocsRoute(markdown: string = readFileSync(ERROR_DOCS_FILE, 'utf8')): Hono {
  const html = page(renderMarkdown(markdown));
  return new Hono().get(ERROR_DOCS_PATH, (c) => {
    c.header('Cache-Control', 'public, max-age=300');
    if (c.req.query('format') === 'md') {
      return c.body(markdown, 200, { 'Content-Type': 'text/markdown; charset=utf-8' });
    }
    return c.html(html);
  });
}

function page(body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Pulse API errors</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font-family:ui-monospace,monospace;background:#f4f4f4}pre{padding:.75rem;overflow:auto}
h2{margin-top:2rem;border-top:1px solid #ddd;padding-top:1rem}</style></head>
<body>
${body}
</body></html>
`;
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Inline markup of our own page only: `code` and **bold**, after escaping. */
function inline(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
}

/**
 * The subset of markdown docs/errors.md uses: `#`/`##` headings (a `##` heading's text is its id), fenced
 * code, `-` lists (continuation lines indented) and paragraphs. Not a general renderer.
 */
export function renderMarkdown(md: string): string {
  const out: string[] = [];
  const lines = md.split('\n');
  let para: string[] = [];
  let list: string[] | null = null;
  const flush = () => {
    if (para.length) out.push(`<p>${inline(para.join(' '))}</p>`);
    para = [];
    if (list) out.push(`<ul>${list.map((li) => `<li>${inline(li)}</li>`).join('')}</ul>`);
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith('```')) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !(lines[i] as string).startsWith('```'); i++)
        code.push(lines[i] as string);
      out.push(`<pre><code>${escapeHtml(code.join('\n'))}</code></pre>`);
    } else if (line.startsWith('## ')) {
      flush();
      const text = line.slice(3).trim();
      out.push(`<h2 id="${escapeHtml(text)}">${inline(text)}</h2>`);
    } else if (line.startsWith('# ')) {
      flush();
      out.push(`<h1>${inline(line.slice(2).trim())}</h1>`);
    } else if (line.startsWith('- ')) {
      if (para.length) flush();
      list ??= [];
      list.push(line.slice(2).trim());
    } else if (line.trim() === '') {
      flush();
    } else if (list && /^\s+/.test(line)) {
      list[list.length - 1] += ` ${line.trim()}`;
    } else {
      if (list) flush();
      para.push(line.trim());
    }
  }
  flush();
  return out.join('\n');
}
