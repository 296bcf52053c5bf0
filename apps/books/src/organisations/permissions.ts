/**
 * Who may do what inside an organisation. A membership has one role; a role grants a fixed set of
 * permissions. "Financial Accounting" is the permission the bank integration asks for: connecting bank
 * accounts, syncing and paying. Members without it may only look.
 */

export const PERMISSIONS = ["financial_accounting"] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ["owner", "accountant", "viewer"] as const;
export type Role = (typeof ROLES)[number];

const ROLE_PERMISSIONS = {
  owner: ["financial_accounting"],
  accountant: ["financial_accounting"],
  viewer: [],
} as const satisfies Record<Role, readonly Permission[]>;

export function permissionsOf(role: Role): ReadonlySet<Permission> {
  return new Set<Permission>(ROLE_PERMISSIONS[role]);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
