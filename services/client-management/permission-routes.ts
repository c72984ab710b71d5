import { Hono } from 'hono';
import { type Grant, PERMISSION_NAMES, PERMISSIONS, ROLES, rolesHolding } from '../platform/permissions.ts';

/** The permission matrix as data: what the portal and docs/permissions.md read. */
export function permissionMatrix() {
  return {
    roles: [...ROLES],
    permissions: PERMISSION_NAMES.map((name) => {
      const grant: Grant = PERMISSIONS[name];
      return {
        name,
        kinds: [...grant.kinds],
        roles: rolesHolding(name),
        keys_only: grant.keysOnly ?? false,
        while_inactive: grant.whileInactive ?? false,
      };
    }),
  };
}

/** `GET /v1/permissions`: public, like the documentation it matches. */
export function createPermissionRoutes() {
  const body = permissionMatrix();
  return new Hono().get('/permissions', (c) => c.json(body));
}
