/** Roles of secret keys and members, lowest last: owner > admin > manager > analyst > viewer. */
export type Role = 'owner' | 'admin' | 'manager' | 'analyst' | 'viewer';
export type KeyKind = 'publishable' | 'secret' | 'admin';
/** What the matrix looks at in a principal (auth.ts's Principal has these and more). */
export interface Holder {
  keyKind: KeyKind;
  role: Role | null;
  clientStatus: 'active' | 'suspended' | 'inactive';
}

/**
 * The one permission matrix: every action a key can take and which key kinds (and, for secret keys,
 * which least role) hold it. Routes name the permission they need (`authenticate(resolver,
 * { permission })`); nothing else decides who may call what.
 *
 * Publishable keys are public (embedded in websites): they only send events and read or claim a
 * participant's own data. Platform admin keys (`ak_`) administer clients and nothing inside a client.
 */
export interface Grant {
  kinds: readonly KeyKind[];
  /** Least role a secret key needs. */
  role?: Role;
  /** Whether a suspended or inactive client may still use it (default false). */
  whileInactive?: boolean;
}

const SDK: Grant = { kinds: ['publishable', 'secret'] };
const secret = (role: Role, extra: Partial<Grant> = {}): Grant => ({ kinds: ['secret'], role, ...extra });

export const PERMISSIONS = {
  'event.send': SDK,
  'referral.check': SDK,
  // A participant choosing their own vanity code (a publishable key needs their identity token).
  'referral.vanity': SDK,
  'participant.rewards': SDK,
  'client.read': secret('viewer', { whileInactive: true }),
  'member.read': secret('viewer'),
  'campaign.read': secret('viewer'),
  'journey.read': secret('viewer'),
  'referral.read': secret('viewer'),
  'reward.read': secret('viewer'),
  'leaderboard.read': secret('viewer'),
  'notification.read': secret('viewer'),
  'event_type.read': secret('viewer'),
  'analytics.read': secret('analyst'),
  'analytics.export': secret('analyst'),
  'campaign.deploy': secret('manager'),
  'campaign.status': secret('manager'),
  'reward.approve': secret('manager'),
  // Working the fraud review queue: approve or reject held rewards (each decision recorded).
  'fraud.review': secret('manager'),
  // Deciding a journey's approval task (an `approval` step); the task's own roles may ask for more.
  'approval.decide': secret('manager'),
  'reward.redeem': secret('manager'),
  // Issuing (vanity, rotation), deactivating referral codes and creating share links.
  'referral.manage': secret('manager'),
  'notification.manage': secret('manager'),
  // Rebuilding a board's index and settling its ended periods now.
  'leaderboard.manage': secret('manager'),
  // Declaring custom event types changes what the ingest accepts, like deploying a campaign does.
  'event_type.manage': secret('manager'),
  'member.invite': secret('admin'),
  'key.read': secret('admin'),
  'key.create': secret('admin'),
  'key.revoke': secret('admin'),
  'reward.configure': secret('admin'),
  // Lifting a fraud suspension overrides the automatic protection.
  'fraud.configure': secret('admin'),
  // Usage, plans, billing, the audit log and data-subject requests (client-management usage/, billing/,
  // audit/, dsr/). The billing role (when the matrix has it) also holds usage.read and billing.manage.
  'usage.read': secret('admin'),
  'billing.manage': secret('owner'),
  'audit.read': secret('admin'),
  'dsr.manage': secret('admin'),
  'client.admin': { kinds: ['admin'] },
} as const satisfies Record<string, Grant>;

export type Permission = keyof typeof PERMISSIONS;

const ROLE_RANK: Record<Role, number> = { viewer: 0, analyst: 1, manager: 2, admin: 3, owner: 4 };

export function roleAtLeast(role: Role | null, needed: Role): boolean {
  return role !== null && ROLE_RANK[role] >= ROLE_RANK[needed];
}

/** Why a principal may not use a permission, or null when it may. */
export function refusal(
  principal: Holder,
  permission: Permission,
): { code: 'FORBIDDEN' | 'CLIENT_INACTIVE'; message: string } | null {
  const grant: Grant = PERMISSIONS[permission];
  if (!grant.kinds.includes(principal.keyKind))
    return { code: 'FORBIDDEN', message: `a ${principal.keyKind} key cannot ${permission}` };
  if (!grant.whileInactive && principal.keyKind !== 'admin' && principal.clientStatus !== 'active')
    return { code: 'CLIENT_INACTIVE', message: `client is ${principal.clientStatus}` };
  if (principal.keyKind === 'secret' && grant.role && !roleAtLeast(principal.role, grant.role))
    return {
      code: 'FORBIDDEN',
      message: `${permission} needs role ${grant.role} or above; this key is ${principal.role ?? 'none'}`,
    };
  return null;
}

/** Whether a principal holds a permission. */
export function holds(principal: Holder, permission: Permission) {
  return refusal(principal, permission) === null;
}

/**
 * Nobody grants above their own role: a key or member of `role` may be created, and a key of `role`
 * revoked, only by a secret key whose role is at least `role` (so only an owner touches owners).
 */
export function mayGrant(principal: Pick<Holder, 'keyKind' | 'role'>, role: Role | null): boolean {
  if (principal.keyKind !== 'secret') return false;
  return role === null || roleAtLeast(principal.role, role);
}
