/**
 * A simulated message rendered in the page from the shipped templates, with the data the step sent and
 * what the notification service adds (participant, campaign): the simulator rendered the same template
 * strictly, so a send that did not render has already failed the journey.
 */
import { localeChain, renderSourceSync } from '../../../contract/template-render.ts';
import { shippedTemplates } from './dsl-browser.ts';
import type { ActivityCall, TimelineRow } from './trace-rows.ts';

const str = (v: unknown) =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);

/** A SendNotification call, rendered (subject and text). */
export function renderMessage(
  call: ActivityCall,
  campaign: { id: string; pulse: string },
): TimelineRow['message'] {
  const name = str(call.input.template);
  const byLocale = shippedTemplates.templates.get(name);
  if (!byLocale) return { error: `"${name}" is not a shipped template (a published one renders on send)` };
  const locale = localeChain(typeof call.input.locale === 'string' ? call.input.locale : undefined).find(
    (l) => byLocale.has(l),
  );
  const file = locale ? byLocale.get(locale) : undefined;
  if (!file || !locale) return { error: `"${name}" has no locale to render` };
  const data = typeof call.input.data === 'object' && call.input.data !== null ? call.input.data : {};
  try {
    // Subject and text only: the HTML part needs the shared layout files, which render on the server.
    const out = renderSourceSync(
      name,
      {
        subject: file.source.subject ?? '',
        text: file.source.text ?? file.source.inapp ?? file.source.sms ?? '',
      },
      { ...data, participant: { id: str(call.input.participant_id) }, campaign },
      { locale, builtIn: false },
    );
    return { subject: out.subject, text: out.text, locale };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
