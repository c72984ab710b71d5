/**
 * Roles of secret keys and members. The linear roles rank owner > admin > manager > analyst > viewer;
 * `billing` stands outside that order: it holds only what names it (usage and billing).
 */
export type Role = 'owner' | 'admin' | 'manager' | 'analyst' | 'viewer' | 'billing';
export const ROLES = ['owner', 'admin', 'manager', 'analyst', 'viewer', 'billing'] as const satisfies Role[];
/** The ranked roles, highest first. */
export type LinearRole = Exclude<Role, 'billing'>;
export type KeyKind = 'publishable' | 'secret' | 'admin';
/** What the matrix looks at in a principal (auth.ts's Principal has these and more). */
export interface Holder {
  keyKind: KeyKind;
  role: Role | null;
  clientStatus: 'active' | 'suspended' | 'inactive';
  /** A key's scopes: when present, only these permissions (within the role's) are held. */
  scopes?: readonly Permission[] | undefined;
  /** How the caller authenticated (absent: a key). */
  via?: 'key' | 'session' | undefined;
}

/**
 * The one permission matrix: every action a key can take and which key kinds (and, for secret keys and
 * member sessions, which roles) hold it. Routes name the permission they need (`authenticate(resolver,
 * { permission })`), `GET /v1/permissions` publishes it, the portal reads it from the session and
 * docs/permissions.md is generated from it; nothing else decides who may call what.
 *
 * Publishable keys are public (embedded in websites): they only send events and read or claim a
 * participant's own data. Platform admin keys (`ak_`) administer clients and nothing inside a client.
 */
export interface Grant {
  kinds: readonly KeyKind[];
  /** Least linear role a secret key needs (that role and every higher one hold it). */
  role?: LinearRole;
  /** Roles outside the linear order that hold it too (`billing`). */
  also?: readonly Role[];
  /** Whether a suspended or inactive client may still use it (default false). */
  whileInactive?: boolean;
  /** Only API keys hold it, never a signed-in person's session (the SDK's traffic). */
  keysOnly?: boolean;
}

const SDK: Grant = { kinds: ['publishable', 'secret'], keysOnly: true };
/** `role` and every higher linear role. */
const secret = (role: LinearRole, extra: Partial<Grant> = {}): Grant => ({
  kinds: ['secret'],
  role,
  ...extra,
});

export const PERMISSIONS = {
  'event.send': SDK,
  'referral.check': SDK,
  'participant.rewards': SDK,
  'client.read': secret('viewer', { whileInactive: true, also: ['billing'] }),
  'member.read': secret('viewer'),
  'campaign.read': secret('viewer'),
  'journey.read': secret('viewer'),
  'referral.read': secret('viewer'),
  'reward.read': secret('viewer'),
  'notification.read': secret('viewer'),
  'event_type.read': secret('viewer'),
  'analytics.read': secret('analyst'),
  'campaign.deploy': secret('manager'),
  'campaign.status': secret('manager'),
  'reward.approve': secret('manager'),
  // Deciding a journey's approval task (an `approval` step); the task's own roles may ask for more.
  'approval.decide': secret('manager'),
  'reward.redeem': secret('manager'),
  'notification.manage': secret('manager'),
  // Declaring custom event types changes what the ingest accepts, like deploying a campaign does.
  'event_type.manage': secret('manager'),
  'member.invite': secret('admin'),
  // Changing a member's role, removing a member, revoking an invite.
  'member.manage': secret('admin'),
  // Handing the client to another member: only an owner.
  'member.transfer': secret('owner'),
  'key.read': secret('admin'),
  'key.create': secret('admin'),
  'key.revoke': secret('admin'),
  'key.rotate': secret('admin'),
  'reward.configure': secret('admin'),
  // Usage and billing: the billing role and the client's administrators.
  'usage.read': secret('admin', { also: ['billing'], whileInactive: true }),
  'billing.manage': secret('owner', { also: ['billing'], whileInactive: true }),
  'client.admin': { kinds: ['admin'] },
} as const satisfies Record<string, Grant>;

export type Permission = keyof typeof PERMISSIONS;
export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];

const ROLE_RANK: Record<LinearRole, number> = { viewer: 0, analyst: 1, manager: 2, admin: 3, owner: 4 };

/** Whether `role` is `needed` or ranks above it; `billing` ranks nowhere (it equals only itself). */
export function roleAtLeast(role: Role | null, needed: Role): boolean {
  if (role === null) return false;
  if (role === 'billing' || needed === 'billing') return role === needed;
  return ROLE_RANK[role] >= ROLE_RANK[needed];
}

/** Whether a role (of a secret key or a member) holds a grant, ignoring key kind and scopes. */
export function roleHolds(role: Role | null, grant: Grant): boolean {
  if (role === null) return false;
  if (grant.also?.includes(role)) return true;
  // A grant without a role (the SDK's) holds for every linear role; billing holds only what names it.
  if (grant.role === undefined) return role !== 'billing' && !grant.also;
  return roleAtLeast(role, grant.role);
}

/** Why a principal may not use a permission, or null when it may. */
export function refusal(
  principal: Holder,
  permission: Permission,
): { code: 'FORBIDDEN' | 'CLIENT_INACTIVE'; message: string } | null {
  const grant: Grant = PERMISSIONS[permission];
  if (!grant.kinds.includes(principal.keyKind))
    return { code: 'FORBIDDEN', message: `a ${principal.keyKind} key cannot ${permission}` };
  if (grant.keysOnly && principal.via === 'session')
    return { code: 'FORBIDDEN', message: `${permission} takes an API key, not a signed-in session` };
  if (!grant.whileInactive && principal.keyKind !== 'admin' && principal.clientStatus !== 'active')
    return { code: 'CLIENT_INACTIVE', message: `client is ${principal.clientStatus}` };
  if (principal.keyKind === 'secret' && !roleHolds(principal.role, grant))
    return {
      code: 'FORBIDDEN',
      message: `${permission} needs ${holdersOf(grant)}; this key is ${principal.role ?? 'none'}`,
    };
  if (principal.scopes && !principal.scopes.includes(permission))
    return { code: 'FORBIDDEN', message: `this key's scopes do not include ${permission}` };
  return null;
}

function holdersOf(grant: Grant): string {
  const parts = [
    ...(grant.role ? [`role ${grant.role}${grant.role === 'owner' ? '' : ' or above'}`] : []),
    ...(grant.also ?? []).map((r) => `role ${r}`),
  ];
  return parts.join(' or ');
}

/** Whether a principal holds a permission. */
export function holds(principal: Holder, permission: Permission) {
  return refusal(principal, permission) === null;
}

/** Every permission a principal holds (the session's `permissions`, the portal's menu). */
export function permissionsOf(principal: Holder): Permission[] {
  return PERMISSION_NAMES.filter((p) => holds(principal, p));
}

/** The roles that hold a permission (docs/permissions.md and `GET /v1/permissions`). */
export function rolesHolding(permission: Permission): Role[] {
  const grant: Grant = PERMISSIONS[permission];
  if (!grant.kinds.includes('secret')) return [];
  return ROLES.filter((r) => roleHolds(r, grant));
}

/**
 * Nobody grants above their own role: a key or member of `role` may be created, and a key of `role`
 * revoked, only by a secret key or member whose role is at least `role` (so only an owner touches
 * owners). `billing` may be granted by admins and owners.
 */
export function mayGrant(principal: Pick<Holder, 'keyKind' | 'role'>, role: Role | null): boolean {
  if (principal.keyKind !== 'secret') return false;
  if (role === 'billing') return roleAtLeast(principal.role, 'admin');
  return role === null || roleAtLeast(principal.role, role);
}

/** Scopes a key may carry: each one the creator itself holds (`null`: none asked, nothing to check). */
export function scopesBeyond(creator: Holder, scopes: readonly Permission[]): Permission[] {
  return scopes.filter((p) => !holds(creator, p));
}
