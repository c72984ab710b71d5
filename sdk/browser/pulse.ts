import { type Attribution, attributionContext, captureTouch, recordTouch } from './attribution.ts';
import { load, save, uuid } from './storage.ts';
import { createTransport, type PulseEvent, type Transport } from './transport.ts';

export const VERSION = '0.1.0';

export type Consent = 'pending' | 'granted' | 'denied';

export interface PulseConfig {
  /** Publishable key (pk_…). */
  key: string;
  /** Event API base URL. */
  endpoint: string;
  /** Campaign the site runs (sets campaign_id on every event). */
  campaign?: string;
  /** URL parameter carrying a referral code. Default "ref". */
  refParam?: string;
  /** Until "granted", events are held in memory; "denied" drops them. Default "granted". */
  consent?: Consent;
  /** Send when this many events are queued. Default 10. */
  flushAt?: number;
  /** Send at least this often. Default 10 000 ms. */
  flushIntervalMs?: number;
  /** How long a referral/marketing touch attributes. Default 90 days. */
  attributionDays?: number;
  /** Where the widget chunk lives. Default: pulse-widget.js beside the SDK file. */
  widgetUrl?: string;
  /** Identity token of the signed-in participant (your server's `createIdentityToken`). */
  identityToken?: string;
}

export interface WidgetOptions {
  /** Element to render into; default a floating panel appended to <body>. */
  target?: HTMLElement;
  /** The participant's referral code (makes the share link `<shareBase>?ref=<code>`). */
  code?: string;
  shareUrl?: string;
  shareBase?: string;
  title?: string;
}

const SESSION_MS = 30 * 60_000;

/** The channels `share()` and the widget report (the event schema's `referral_shared` channels). */
export const SHARE_CHANNELS = [
  'email',
  'sms',
  'whatsapp',
  'x',
  'linkedin',
  'facebook',
  'copy_link',
  'qr',
  'hashtag',
  'native',
  'other',
] as const;
export type ShareChannel = (typeof SHARE_CHANNELS)[number];

/** Creates the SDK instance; `base` is the SDK file's own URL (to find the widget chunk beside it). */
export function createPulse(base: string) {
  let cfg: Required<Pick<PulseConfig, 'key' | 'endpoint' | 'refParam'>> & PulseConfig;
  let transport: Transport | null = null;
  let attribution: Attribution = { first: null, last: null };
  let consent: Consent = 'granted';
  let held: PulseEvent[] = [];
  let participant = load<string>('pid');
  let traits = load<Record<string, unknown>>('traits');
  // Kept in memory only: short-lived, and the page gets a fresh one from the client's server.
  let token: string | null = null;
  let anon = '';

  const optedOut = () => load<number>('optout') === 1;

  function session(): string {
    const now = Date.now();
    let s = load<{ id: string; last: number }>('sess');
    if (!s || now - s.last > SESSION_MS) s = { id: uuid(), last: now };
    s.last = now;
    save('sess', s);
    return s.id;
  }

  function context(): Record<string, unknown> {
    const sc = globalThis.screen;
    return {
      sdk: { name: 'pulse-browser', version: VERSION },
      locale: { language: navigator.language, timezone: Intl.DateTimeFormat().resolvedOptions().timeZone },
      page: {
        url: location.href.slice(0, 2048),
        path: location.pathname.slice(0, 2048),
        title: document.title.slice(0, 1000),
        ...(document.referrer ? { referrer: document.referrer.slice(0, 2048) } : {}),
      },
      ...(sc ? { device: { screen: `${sc.width}x${sc.height}` } } : {}),
      ...attributionContext(attribution),
    };
  }

  function enqueue(e: PulseEvent) {
    if (optedOut() || consent === 'denied') return;
    if (consent === 'pending' || !transport) held.push(e);
    else transport.push(e);
  }

  /** Records an event (name from the schema's list) with its event-specific properties. */
  function track(
    event: string,
    properties?: Record<string, unknown>,
    opts: { campaign?: string } = {},
  ): string {
    const id = uuid();
    if (optedOut()) return id;
    const campaign = opts.campaign ?? cfg?.campaign;
    enqueue({
      event,
      event_id: id,
      occurred_at: new Date().toISOString(),
      anonymous_id: anon,
      session_id: session(),
      ...(participant ? { participant_id: participant } : {}),
      ...(campaign ? { campaign_id: campaign } : {}),
      ...(properties ? { properties } : {}),
      ...(traits ? { traits } : {}),
      context: context(),
    });
    return id;
  }

  function flushHeld() {
    if (!transport || consent !== 'granted') return;
    for (const e of held) transport.push({ ...e, anonymous_id: e.anonymous_id || anon });
    held = [];
  }

  const api = {
    VERSION,
    /** Starts the SDK: ids, attribution from the landing URL, the send queue and page-hide beacons. */
    init(c: PulseConfig) {
      if (transport) return;
      cfg = { refParam: 'ref', ...c };
      consent = load<Consent>('consent') ?? c.consent ?? 'granted';
      token = c.identityToken ?? token;
      anon = load<string>('aid') ?? uuid();
      save('aid', anon);
      const touch = captureTouch(location, document.referrer, cfg.refParam);
      attribution = recordTouch(touch, c.attributionDays ?? 90);
      transport = createTransport({
        endpoint: c.endpoint,
        key: c.key,
        flushAt: c.flushAt ?? 10,
        flushIntervalMs: c.flushIntervalMs ?? 10_000,
        identity: () => token,
      });
      const hide = () => transport?.beacon();
      document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && hide());
      addEventListener('pagehide', hide);
      addEventListener('online', () => transport?.online());
      if (touch?.referral_code)
        track('referral_visit', {
          referral_code: touch.referral_code,
          landing_page: touch.landing_page,
          ...(touch.referral_channel ? { channel: touch.referral_channel } : {}),
        });
      flushHeld();
    },
    /**
     * Ties later events to your user id (and optional traits: plan, country, tier…). `token` (from your
     * server) proves it: without one, rewards stay private and email/phone traits are ignored.
     */
    identify(participantId: string, t?: Record<string, unknown>, o: { token?: string } = {}) {
      if (o.token || participantId !== participant) token = o.token ?? null;
      participant = participantId;
      save('pid', participant);
      if (t) {
        traits = { ...traits, ...t };
        save('traits', traits);
      }
      track('user_identified', t ? { ...t } : undefined);
    },
    track,
    /**
     * Records that the participant shared their referral link on a channel (`referral_shared` with
     * `properties.channel`): email, sms, whatsapp, x, linkedin, facebook, copy_link, qr, hashtag, native
     * or other (anything else is sent as other). Feeds the share → click → signup → conversion funnel.
     */
    share(channel: ShareChannel | string, properties: Record<string, unknown> = {}) {
      const ch = (SHARE_CHANNELS as readonly string[]).includes(channel) ? channel : 'other';
      return track('referral_shared', { ...properties, channel: ch });
    },
    /**
     * Lets the signed-in participant choose their own referral code (needs the identity token from
     * `init`/`identify`). Resolves to the new code; rejects with the server's message (taken, reserved,
     * offensive, too many changes). The old code keeps working.
     */
    async chooseCode(code: string, o: { campaign?: string } = {}): Promise<string> {
      const campaign = o.campaign ?? cfg?.campaign;
      if (!participant || !campaign) throw new Error('chooseCode needs identify() and a campaign');
      const url = `${cfg.endpoint.replace(/\/$/, '')}/v1/referrals/participants/${encodeURIComponent(participant)}/vanity-code?key=${encodeURIComponent(cfg.key)}`;
      const res = await fetch(url, {
        method: 'POST',
        credentials: 'omit',
        headers: { 'content-type': 'application/json', ...(token ? { 'X-Pulse-Identity': token } : {}) },
        body: JSON.stringify({ campaign_id: campaign, code }),
      });
      const body = (await res.json().catch(() => ({}))) as {
        code?: { code: string };
        error?: { message?: string };
      };
      if (!res.ok || !body.code) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
      return body.code.code;
    },
    /** A page view (call on route changes in single-page apps). */
    page: (properties?: Record<string, unknown>) => track('page_viewed', properties),
    setConsent(state: Consent) {
      consent = state;
      save('consent', state);
      if (state === 'denied') held = [];
      flushHeld();
    },
    /** Stops all tracking on this browser and forgets queued events. */
    optOut() {
      save('optout', 1);
      held = [];
      transport?.clear();
    },
    optIn() {
      save('optout', null);
    },
    flush: () => transport?.flush() ?? Promise.resolve(),
    /** Forgets the user (logout): new anonymous id, no participant id or traits. */
    reset() {
      participant = traits = token = null;
      save('pid', null);
      save('traits', null);
      anon = uuid();
      save('aid', anon);
    },
    ids: () => ({ anonymous_id: anon, session_id: session(), participant_id: participant }),
    attribution: () => attribution,
    /** Loads the referral widget (a separate file) and renders it in a Shadow DOM. */
    async showWidget(o: WidgetOptions = {}) {
      const url = cfg.widgetUrl ?? new URL('pulse-widget.js', base).href;
      const mod = await import(/* webpackIgnore: true */ url);
      return mod.mountWidget(o, {
        endpoint: cfg.endpoint,
        key: cfg.key,
        refParam: cfg.refParam,
        participant,
        identity: token,
        track,
      });
    },
  };
  return api;
}

export type Pulse = ReturnType<typeof createPulse>;
