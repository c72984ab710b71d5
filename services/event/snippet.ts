/**
 * The embed snippet a client pastes into their site: defines `window.Pulse` as a queue stub at once (so
 * calls made before the SDK arrives are kept), then loads the SDK asynchronously; the SDK replays the
 * queue on load. Values are JSON-encoded and `<` escaped so nothing can break out of the script tag.
 */
import { AppError } from '../../contract/errors.ts';
export interface SnippetOptions {
  publishableKey: string;
  campaignId?: string;
  /** Event API base, e.g. https://events.pulse.example */
  endpoint: string;
  /** URL of the IIFE build (dist/sdk/pulse.iife.js on the CDN). */
  sdkUrl: string;
  /** Subresource Integrity of that file (`sha384-…`): the browser refuses a file that differs. */
  integrity?: string;
}

const js = (v: unknown) =>
  JSON.stringify(v)
    .replaceAll('<', '\\u003c')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');

export function renderEmbedSnippet(o: SnippetOptions): string {
  if (!o.publishableKey.startsWith('pk_'))
    throw new AppError('BAD_REQUEST', 'the embed snippet takes a publishable key (pk_…)');
  const config = {
    key: o.publishableKey,
    endpoint: o.endpoint,
    ...(o.campaignId ? { campaign: o.campaignId } : {}),
  };
  return `<script>
!function(w,d,u,c){if(w.Pulse)return;var q=[],p=w.Pulse={_q:q,_c:c};
["init","track","page","identify","optIn","optOut","setConsent","flush","showWidget"].forEach(function(m){p[m]=function(){q.push([m,[].slice.call(arguments)])}});
p.init(c);var s=d.createElement("script");s.async=1;${o.integrity ? `s.integrity=${js(o.integrity)};s.crossOrigin="anonymous";` : ''}s.src=u;d.head.appendChild(s)}(window,document,${js(o.sdkUrl)},${js(config)});
</script>`;
}
