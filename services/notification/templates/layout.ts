import type { TemplateContent } from './content.ts';

/**
 * Builds the text and HTML bodies of a built-in template from one piece of copy, so the two versions
 * never say different things. Copy may hold `{{ placeholders }}`; the renderer escapes their values in
 * HTML, and this module escapes the literal copy around them.
 */

/** The greeting every email opens with; a participant's name is optional (contacts may have none). */
export const GREETING = 'Hi {{ participant.name | default: "there" }},';
/** Clients override templates to sign with their brand; the built-ins stay neutral. */
export const SIGNOFF = 'Warmly,\nThe team';

/**
 * A reward in words as AllocateReward reports it (`label`: "$20.00 store credit", "10% off", "3 months of
 * Pro", or the campaign's own label), or `fallback` when the step allocated nothing.
 */
export function amountOf(key: string, fallback: string): string {
  return `{{ ${key}.label | default: "${fallback}" }}`;
}

export interface EmailCopy {
  subject: string;
  /** Paragraphs after the greeting. Keep a placeholder that may fall back to a default at a line end. */
  body: string[];
  /** The one thing to click: a button in HTML, "label: url" in text. `url` is a placeholder. */
  action?: { label: string; url: string };
  /** Paragraphs after the action. */
  after?: string[];
}

/** Same grammar as render.ts, to keep placeholders intact while escaping the text around them. */
const PLACEHOLDER = /\{\{[^}]*\}\}/g;

function escapeCopy(copy: string): string {
  let out = '';
  let last = 0;
  for (const m of copy.matchAll(PLACEHOLDER)) {
    out += escapeLiteral(copy.slice(last, m.index)) + m[0];
    last = m.index + m[0].length;
  }
  return out + escapeLiteral(copy.slice(last));
}

const escapeLiteral = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

const paragraph = (p: string) => `<p style="margin:0 0 16px">${escapeCopy(p).replaceAll('\n', '<br>')}</p>`;

const BUTTON =
  'display:inline-block;padding:12px 20px;background:#4f46e5;color:#ffffff;border-radius:6px;text-decoration:none;font-weight:600';

/** An email: subject, plain text and an HTML version with a single call to action. */
export function email(copy: EmailCopy): TemplateContent {
  const after = copy.after ?? [];
  const textParts = [GREETING, ...copy.body];
  if (copy.action) textParts.push(`${copy.action.label}: ${copy.action.url}`);
  textParts.push(...after, SIGNOFF);

  const htmlParts = [GREETING, ...copy.body].map(paragraph);
  if (copy.action) {
    htmlParts.push(
      `<p style="margin:24px 0"><a href="${copy.action.url}" style="${BUTTON}">${escapeCopy(copy.action.label)}</a></p>`,
      `<p style="margin:0 0 16px;font-size:13px;color:#52606d">Or copy this link: ${copy.action.url}</p>`,
    );
  }
  htmlParts.push(...[...after, SIGNOFF].map(paragraph));

  return {
    subject: copy.subject,
    text: textParts.join('\n\n'),
    html: `<div style="font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;color:#1f2933;max-width:560px">${htmlParts.join('')}</div>`,
  };
}

/** An in-app message: a title and a short text, no HTML (the SDK renders it in the client's own UI). */
export function inApp(subject: string, text: string): TemplateContent {
  return { subject, text };
}
