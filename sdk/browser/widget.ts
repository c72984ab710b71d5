import type { WidgetOptions } from './pulse.ts';

/** What the core hands the widget chunk. */
export interface WidgetHost {
  endpoint: string;
  key: string;
  refParam: string;
  participant: string | null;
  /** Identity token for `participant`; without it the service answers only counts. */
  identity: string | null;
  track: (event: string, properties?: Record<string, unknown>) => string;
}

/** A reward as the reward service lists it (`GET /v1/reward-participants/:id/rewards`). */
interface Reward {
  /** The service's words for the reward ("$10.00 store credit", "10% off"). */
  label?: string | null;
  description?: string | null;
  category?: string | null;
  amount?: number | null;
  currency?: string | null;
  state?: string | null;
  percent?: number | null;
}

const CSS = `:host{all:initial;font:14px/1.4 system-ui,sans-serif;color:#1b1b1f}
.card{box-sizing:border-box;width:320px;padding:16px;border-radius:12px;background:#fff;box-shadow:0 6px 24px #0003}
.float{position:fixed;right:16px;bottom:16px;z-index:2147483000}
h2{font-size:16px;margin:0 0 8px}.row{display:flex;gap:6px}
input{flex:1;min-width:0;padding:6px 8px;border:1px solid #ccd;border-radius:6px;font:inherit}
button,a.share{padding:6px 10px;border:0;border-radius:6px;background:#4b3fe4;color:#fff;font:inherit;cursor:pointer;text-decoration:none}
.shares{display:flex;flex-wrap:wrap;gap:6px;margin:10px 0}a.share{background:#eef;color:#223}
.close{position:absolute;top:8px;right:8px;background:none;color:#667;padding:2px 6px}
ul{margin:4px 0 0;padding-left:18px}.muted{color:#667}`;

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Renders the referral widget in a Shadow DOM (the site's CSS cannot leak in, ours cannot leak out). */
export async function mountWidget(o: WidgetOptions, host: WidgetHost): Promise<HTMLElement> {
  const el = o.target ?? document.body.appendChild(document.createElement('div'));
  const root = el.shadowRoot ?? el.attachShadow({ mode: 'open' });
  const base = o.shareBase ?? location.origin + '/';
  const link =
    o.shareUrl ??
    (o.code
      ? `${base}${base.includes('?') ? '&' : '?'}${host.refParam}=${encodeURIComponent(o.code)}`
      : location.href);
  // Each button shares the link with its channel (`ch=`), so the friend's visit says where it came from.
  const via = (ch: string) => (o.code && !o.shareUrl ? `${link}&ch=${ch}` : link);
  const text = encodeURIComponent(o.title ?? 'Join me');
  const u = (ch: string) => encodeURIComponent(via(ch));
  const shares: [string, string, string][] = [
    ['email', 'Email', `mailto:?subject=${text}&body=${u('email')}`],
    ['sms', 'SMS', `sms:?&body=${text}%20${u('sms')}`],
    ['whatsapp', 'WhatsApp', `https://wa.me/?text=${text}%20${u('whatsapp')}`],
    ['x', 'X', `https://twitter.com/intent/tweet?text=${text}&url=${u('x')}`],
    ['linkedin', 'LinkedIn', `https://www.linkedin.com/sharing/share-offsite/?url=${u('linkedin')}`],
    ['facebook', 'Facebook', `https://www.facebook.com/sharer/sharer.php?u=${u('facebook')}`],
  ];
  root.innerHTML = `<style>${CSS}</style><div class="card${o.target ? '' : ' float'}" part="card">
<button class="close" aria-label="Close">×</button><h2>${esc(o.title ?? 'Invite friends, earn rewards')}</h2>
<div class="row"><input readonly value="${esc(link)}" aria-label="Your referral link"><button class="copy">Copy</button></div>
<div class="shares">${shares.map(([id, label, href]) => `<a class="share" data-p="${id}" target="_blank" rel="noopener" href="${esc(href)}">${label}</a>`).join('')}</div>
<div class="rewards"><strong>Your rewards</strong><div class="list muted">Loading…</div></div></div>`;
  const $ = <T extends Element>(s: string) => root.querySelector(s) as T;
  const props = { ...(o.code ? { referral_code: o.code } : {}), share_url: link };
  host.track('widget_displayed', { widget_id: 'referral' });

  $('.copy').addEventListener('click', async () => {
    const btn = $<HTMLButtonElement>('.copy');
    try {
      await navigator.clipboard.writeText(link);
    } catch {
      // Older browsers / no permission: select and copy the input instead.
      $<HTMLInputElement>('input').select();
      document.execCommand('copy');
    }
    btn.textContent = 'Copied!';
    host.track('referral_shared', { channel: 'copy_link', ...props });
  });
  for (const a of root.querySelectorAll<HTMLAnchorElement>('a.share')) {
    a.addEventListener('click', () => {
      host.track('referral_shared', { channel: a.dataset.p, ...props, share_url: via(a.dataset.p ?? '') });
    });
  }
  $('.close').addEventListener('click', () => {
    host.track('widget_closed', { widget_id: 'referral' });
    if (o.target) root.innerHTML = '';
    else el.remove();
  });

  const list = $<HTMLElement>('.list');
  try {
    const rewards = await loadRewards(host);
    if (rewards === null) list.textContent = 'Sign in to see your rewards.';
    else if (rewards.length) {
      list.classList.remove('muted');
      list.innerHTML = `<ul>${rewards.map((r) => `<li>${esc(label(r))}</li>`).join('')}</ul>`;
    } else list.textContent = 'No rewards yet — share your link to earn one.';
  } catch {
    list.textContent = 'Rewards are not available right now.';
  }
  return el;
}

/** The participant's rewards; null when the service only gave the public view (no valid token). */
async function loadRewards(host: WidgetHost): Promise<Reward[] | null> {
  if (!host.participant) return [];
  const res = await fetch(
    `${host.endpoint.replace(/\/$/, '')}/v1/reward-participants/${encodeURIComponent(host.participant)}/rewards?key=${encodeURIComponent(host.key)}`,
    { credentials: 'omit', ...(host.identity ? { headers: { 'X-Pulse-Identity': host.identity } } : {}) },
  );
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(String(res.status));
  // A page of the list (`data`); older servers answered `rewards`.
  const body = (await res.json()) as Reward[] | { data?: Reward[]; rewards?: Reward[]; redacted?: boolean };
  if (Array.isArray(body)) return body;
  const list = body.data ?? body.rewards ?? [];
  return body.redacted && !list.length && (body as { counts?: { total?: number } }).counts?.total
    ? null
    : list;
}

function label(r: Reward): string {
  const what =
    r.label ??
    r.description ??
    (r.amount != null
      ? `${r.amount} ${r.currency ?? ''} ${(r.category ?? '').replace(/_/g, ' ')}`
      : r.percent != null
        ? `${r.percent}% ${r.category ?? 'off'}`
        : (r.category ?? 'reward'));
  return `${what.replace(/\s+/g, ' ').trim()}${r.state ? ` (${r.state.toLowerCase()})` : ''}`;
}
