/**
 * What a staff member may do is decided by one role. privacy: data subject requests, terminations,
 * policies; security: breaches, the audit log; support: read-only help to customers; admin: all of
 * these and the staff accounts themselves. Each `/staff/v1/*` route lists the roles it admits.
 */
export const STAFF_ROLES = ['privacy', 'security', 'support', 'admin'] as const;

export type StaffRole = (typeof STAFF_ROLES)[number];
