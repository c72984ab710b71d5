import { AppError, type ErrorDetail } from '../../../contract/errors.ts';
import type { Principal, Role } from '../../platform/auth.ts';
import {
  type Grant,
  mayGrant,
  PERMISSIONS,
  type Permission,
  roleHolds,
  scopesBeyond,
} from '../../platform/permissions.ts';
import type { KeyOptions } from '../service.ts';

/** The longest a key may be issued for. */
export const MAX_KEY_LIFETIME_MS = 2 * 366 * 24 * 3600_000;

export interface KeyRequest {
  kind: 'publishable' | 'secret';
  role: Role | null;
  scopes?: readonly Permission[] | undefined;
  expires_at?: string | undefined;
}

/**
 * What a new key may be: nobody grants above their own role, a scope must be held by the key's own
 * role (else it would be dead weight) and by the caller (a key is never wider than its creator; a
 * scoped key creates only keys within its scopes), and the expiry lies ahead, at most two years.
 * `by` null: the platform admin issuing for a client (any role, any scopes the role holds).
 */
export function checkKeyRequest(by: Principal | null, req: KeyRequest, now = new Date()): KeyOptions {
  if (by && !mayGrant(by, req.role))
    throw new AppError('FORBIDDEN', `a ${by.role} cannot issue a key with role ${req.role}`);
  const problems: ErrorDetail[] = [];
  if (req.scopes && req.kind === 'publishable')
    problems.push({ path: 'scopes', message: 'a publishable key has no scopes', expected: 'no scopes' });
  req.scopes?.forEach((p, i) => {
    const grant: Grant = PERMISSIONS[p];
    if (req.kind === 'secret' && (!grant.kinds.includes('secret') || !roleHolds(req.role, grant)))
      problems.push({
        path: `scopes.${i}`,
        message: `role ${req.role} does not hold ${p}`,
        expected: 'a permission the key’s role holds',
      });
  });
  let expiresAt: Date | null = null;
  if (req.expires_at) {
    expiresAt = new Date(req.expires_at);
    const ahead = expiresAt.getTime() - now.getTime();
    if (!(ahead > 0) || ahead > MAX_KEY_LIFETIME_MS)
      problems.push({
        path: 'expires_at',
        message: 'out of range',
        expected: 'a time in the next two years',
      });
  }
  if (problems.length) throw new AppError('VALIDATION_FAILED', 'the key cannot be issued as asked', problems);
  if (by?.scopes) {
    if (!req.scopes)
      throw new AppError('FORBIDDEN', 'a scoped key may only issue keys scoped within its own scopes');
    const beyond = scopesBeyond(by, req.scopes);
    if (beyond.length) throw new AppError('FORBIDDEN', `the caller does not hold ${beyond.join(', ')}`);
  } else if (by && req.scopes) {
    const beyond = scopesBeyond({ ...by, clientStatus: 'active' }, req.scopes);
    if (beyond.length) throw new AppError('FORBIDDEN', `the caller does not hold ${beyond.join(', ')}`);
  }
  return {
    scopes: req.scopes ?? null,
    expiresAt,
    createdBy: by ? (by.memberId ?? by.keyId) : 'admin',
  };
}
