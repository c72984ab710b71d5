/** Member and key roles, highest first; `billing` sees usage and billing only. */
export const ROLES = ['owner', 'admin', 'manager', 'analyst', 'viewer', 'billing'] as const;
export type Role = (typeof ROLES)[number];
