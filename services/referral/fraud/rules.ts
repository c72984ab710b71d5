import { isDisposableDomain, isFreeMailDomain } from './identity.ts';
import { durationMs, type FraudPolicy } from './policy.ts';
import {
  type FraudDb,
  participantsOnDevicesSince,
  participantsOnIpsSince,
  participantsSharing,
  type StoredIdentity,
} from './repo.ts';

/**
 * The fraud rule registry. Each rule reads one signal about a referral and says whether it fired; the
 * engine adds up the weights of the rules that fired (a campaign may re-weigh or switch off any rule in
 * its YAML) and maps the score to approve / review / reject. `fails` says what an error inside a rule
 * means: `open` (counts as not fired: a signal we could not read proves nothing) or `closed` (counts as
 * fired: for identity matches and blocklists, where letting a reward through on an error is worse).
 * `critical` rules are exact identity matches and blocklists: by default only they may reject on their own.
 */
export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface RuleContext {
  db: FraudDb;
  clientId: string;
  kind: 'signup' | 'conversion';
  at: Date;
  policy: FraudPolicy;
  /** The participant being rewarded or checked (usually the referee), this event's facts included. */
  participant: StoredIdentity;
  /** The referrer, when the participant was referred. */
  referrer: StoredIdentity | null;
  referral: { id: string; code: string; attributedAt: Date } | null;
  /** When the participant clicked the referral link (input, recorded click, or attribution time). */
  clickedAt: Date | null;
  /**
   * Paid-traffic click id parameters (gclid, fbclid, …) seen on the participant's landing or click: the
   * names present, whatever their values. Fed from the event's `context.marketing` and the check's
   * `click_ids` input (where the link tracking records them on landings).
   */
  paidClickIds: string[];
  /** The IP hashes a share link was clicked from, with their click counts (for the click-farm rule). */
  clickIps: () => Promise<{ ipHash: string; clicks: number }[]>;
  countReferralsSince: (referrerId: string, since: Date) => Promise<number>;
}

export interface RuleResult {
  fired: boolean;
  detail?: string;
}

export interface FraudRule {
  id: string;
  signal: string;
  weight: number;
  severity: Severity;
  fails: 'open' | 'closed';
  description: string;
  /** Only for this kind of check (default both). */
  only?: 'signup' | 'conversion';
  evaluate(ctx: RuleContext): Promise<RuleResult> | RuleResult;
}

/** Paid-traffic click id parameters (search, social and ad networks). */
export const PAID_CLICK_IDS = [
  'gclid',
  'gbraid',
  'wbraid',
  'dclid',
  'fbclid',
  'msclkid',
  'ttclid',
  'li_fat_id',
  'twclid',
  'rdt_cid',
  'sccid',
  'epik',
  'yclid',
] as const;

const no: RuleResult = { fired: false };
const intersects = (a: readonly string[], b: readonly string[]) => a.some((x) => b.includes(x));
/** Clicks from one address on one code at or beyond which "one person farming their link" is suspected. */
export const FARMED_CLICKS = 5;

export const RULES: readonly FraudRule[] = [
  {
    id: 'self_referral',
    signal: 'participant_id',
    weight: 100,
    severity: 'critical',
    fails: 'closed',
    description: 'The participant is their own referrer.',
    evaluate: (c) =>
      c.referrer && c.referrer.participantId === c.participant.participantId
        ? { fired: true, detail: 'referrer and referee are the same participant' }
        : no,
  },
  {
    id: 'self_referral_email',
    signal: 'email',
    weight: 100,
    severity: 'critical',
    fails: 'closed',
    description: 'Referee and referrer have the same email once normalised (case, plus-tags, Gmail dots).',
    evaluate: (c) =>
      c.referrer?.emailKey && c.participant.emailKey === c.referrer.emailKey
        ? { fired: true, detail: 'same normalised email as the referrer' }
        : no,
  },
  {
    id: 'self_referral_email_hash',
    signal: 'email_hash',
    weight: 100,
    severity: 'critical',
    fails: 'closed',
    description: 'Referee and referrer have the same email hash (the client’s own hash of the address).',
    evaluate: (c) =>
      c.referrer?.emailHash && c.participant.emailHash === c.referrer.emailHash
        ? { fired: true, detail: 'same email hash as the referrer' }
        : no,
  },
  {
    id: 'self_referral_device',
    signal: 'device_id',
    weight: 50,
    severity: 'high',
    fails: 'closed',
    description: 'The referee came with a cookie / device id the referrer used.',
    evaluate: (c) =>
      c.referrer && intersects(c.participant.deviceIds, c.referrer.deviceIds)
        ? { fired: true, detail: 'a device id of the referrer' }
        : no,
  },
  {
    id: 'same_ip',
    signal: 'ip',
    weight: 40,
    severity: 'medium',
    fails: 'open',
    description: 'The referee’s IP is one the referrer’s own browser came from.',
    evaluate: (c) =>
      c.referrer &&
      c.referrer.participantId !== c.participant.participantId &&
      intersects(c.participant.ipHashes, c.referrer.ipHashes)
        ? { fired: true, detail: 'the referrer’s IP address' }
        : no,
  },
  {
    id: 'same_ip_user_agent',
    signal: 'ip+user_agent',
    weight: 30,
    severity: 'high',
    fails: 'open',
    description: 'Same IP and the same user agent as the referrer: very likely the same browser.',
    evaluate: (c) =>
      c.referrer &&
      c.referrer.participantId !== c.participant.participantId &&
      c.referrer.uaKey !== null &&
      c.participant.uaKey === c.referrer.uaKey &&
      intersects(c.participant.ipHashes, c.referrer.ipHashes)
        ? { fired: true, detail: 'the referrer’s IP and user agent' }
        : no,
  },
  {
    id: 'click_farm',
    signal: 'ip',
    weight: 30,
    severity: 'medium',
    fails: 'open',
    description: `Every click on the referrer’s link came from one address (at least ${FARMED_CLICKS} times), and so does the referee.`,
    async evaluate(c) {
      if (!c.referral || !c.participant.ipHashes.length) return no;
      const ips = await c.clickIps();
      const [only] = ips;
      return ips.length === 1 &&
        only &&
        only.clicks >= FARMED_CLICKS &&
        c.participant.ipHashes.includes(only.ipHash)
        ? { fired: true, detail: `${only.clicks} clicks, all from the referee’s address` }
        : no;
    },
  },
  {
    id: 'same_company_domain',
    signal: 'email_domain',
    weight: 20,
    severity: 'low',
    fails: 'open',
    description: 'Referee and referrer share an email domain that is not a free-mail provider.',
    evaluate: (c) => {
      const d = c.participant.emailDomain;
      return d &&
        c.referrer?.emailDomain === d &&
        !isFreeMailDomain(d) &&
        c.referrer.participantId !== c.participant.participantId
        ? { fired: true, detail: `both at ${d}` }
        : no;
    },
  },
  {
    id: 'disposable_email',
    signal: 'email_domain',
    weight: 50,
    severity: 'high',
    fails: 'open',
    description: 'The referee’s email domain is a disposable-mail domain (package disposable-email-domains).',
    evaluate: (c) =>
      c.participant.emailDomain && isDisposableDomain(c.participant.emailDomain)
        ? { fired: true, detail: `${c.participant.emailDomain} is disposable` }
        : no,
  },
  {
    id: 'velocity_referrer',
    signal: 'velocity',
    weight: 30,
    severity: 'medium',
    fails: 'open',
    description: 'The referrer gained more referrals than `fraud.velocity.referrer.max` within its window.',
    async evaluate(c) {
      if (!c.referrer) return no;
      const v = c.policy.velocity.referrer;
      const n = await c.countReferralsSince(
        c.referrer.participantId,
        new Date(c.at.getTime() - durationMs(v.window)),
      );
      return n > v.max ? { fired: true, detail: `${n} referrals in ${v.window} (max ${v.max})` } : no;
    },
  },
  {
    id: 'velocity_ip',
    signal: 'velocity',
    weight: 30,
    severity: 'medium',
    fails: 'open',
    description:
      'More participants than `fraud.velocity.ip.max` appeared on the referee’s IP within its window.',
    async evaluate(c) {
      const v = c.policy.velocity.ip;
      const n = await participantsOnIpsSince(
        c.db,
        c.clientId,
        c.participant.ipHashes,
        new Date(c.at.getTime() - durationMs(v.window)),
      );
      return n > v.max
        ? { fired: true, detail: `${n} participants on this IP in ${v.window} (max ${v.max})` }
        : no;
    },
  },
  {
    id: 'velocity_device',
    signal: 'velocity',
    weight: 30,
    severity: 'medium',
    fails: 'open',
    description:
      'More participants than `fraud.velocity.device.max` used the referee’s device within its window.',
    async evaluate(c) {
      const v = c.policy.velocity.device;
      const n = await participantsOnDevicesSince(
        c.db,
        c.clientId,
        c.participant.deviceIds,
        new Date(c.at.getTime() - durationMs(v.window)),
      );
      return n > v.max
        ? { fired: true, detail: `${n} participants on this device in ${v.window} (max ${v.max})` }
        : no;
    },
  },
  {
    id: 'conversion_too_fast',
    signal: 'click_to_conversion',
    weight: 30,
    severity: 'medium',
    fails: 'open',
    only: 'conversion',
    description: 'The conversion came sooner after the click than `fraud.conversion_time.min`.',
    evaluate: (c) => {
      if (!c.clickedAt) return no;
      const ms = c.at.getTime() - c.clickedAt.getTime();
      return ms < durationMs(c.policy.conversion_time.min)
        ? {
            fired: true,
            detail: `${Math.round(ms / 1000)}s after the click (min ${c.policy.conversion_time.min})`,
          }
        : no;
    },
  },
  {
    id: 'conversion_too_late',
    signal: 'click_to_conversion',
    weight: 20,
    severity: 'low',
    fails: 'open',
    only: 'conversion',
    description: 'The conversion came later after the click than `fraud.conversion_time.max`.',
    evaluate: (c) => {
      if (!c.clickedAt) return no;
      const ms = c.at.getTime() - c.clickedAt.getTime();
      return ms > durationMs(c.policy.conversion_time.max)
        ? {
            fired: true,
            detail: `${Math.round(ms / 86_400_000)} days after the click (max ${c.policy.conversion_time.max})`,
          }
        : no;
    },
  },
  {
    id: 'duplicate_email',
    signal: 'email',
    weight: 80,
    severity: 'critical',
    fails: 'closed',
    description: 'Another participant (not the referrer) has the same normalised email or email hash.',
    async evaluate(c) {
      const except = [c.participant.participantId, ...(c.referrer ? [c.referrer.participantId] : [])];
      for (const [col, v] of [
        ['email_key', c.participant.emailKey],
        ['email_hash', c.participant.emailHash],
      ] as const) {
        if (!v) continue;
        const others = await participantsSharing(c.db, c.clientId, col, v, except);
        if (others.length)
          return { fired: true, detail: `same email as ${others.length} other participant(s)` };
      }
      return no;
    },
  },
  {
    id: 'duplicate_phone',
    signal: 'phone',
    weight: 80,
    severity: 'critical',
    fails: 'closed',
    description: 'Another participant has the same phone number (normalised) or phone hash.',
    async evaluate(c) {
      if (!c.participant.phoneKey) return no;
      const others = await participantsSharing(c.db, c.clientId, 'phone_key', c.participant.phoneKey, [
        c.participant.participantId,
      ]);
      return others.length
        ? { fired: true, detail: `same phone as ${others.length} other participant(s)` }
        : no;
    },
  },
  {
    id: 'paid_click_id',
    signal: 'click_id',
    weight: 30,
    severity: 'medium',
    fails: 'open',
    description:
      'The referee arrived through a paid ad (gclid, fbclid, msclkid, ttclid, li_fat_id, …): brand bidding on a referral link.',
    evaluate: (c) =>
      c.paidClickIds.length ? { fired: true, detail: `paid click id: ${c.paidClickIds.join(', ')}` } : no,
  },
  {
    id: 'blocked_country',
    signal: 'country',
    weight: 100,
    severity: 'critical',
    fails: 'closed',
    description: 'The referee’s country is in the campaign’s `fraud.blocked_countries`.',
    evaluate: (c) =>
      c.participant.country && c.policy.blocked_countries.includes(c.participant.country)
        ? { fired: true, detail: `country ${c.participant.country} is blocked` }
        : no,
  },
];

export const RULE_IDS: readonly string[] = RULES.map((r) => r.id);
