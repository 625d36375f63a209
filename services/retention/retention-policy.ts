/**
 * How long each class of data is kept, with the sentence of the Privacy Policy / DPA it enforces
 * (SPEC §2). Domain constants, never config. Plain data, so the retention workflow imports it too.
 */
export const RETENTION = {
  messageBodies: {
    keep: { days: 90 },
    policy: 'SMS bodies (outbound and inbound) are kept 90 days, then purged: the message row stays, the body goes.',
  },
  messageMetadata: {
    keep: { months: 24 },
    policy: 'Message metadata (recipient, status, timestamps, carrier, segments) is kept 24 months, then deleted.',
  },
  auditLog: {
    keep: { years: 7 },
    policy: 'The compliance audit log is kept 7 years; older entries are cut after a checkpoint, and the rest of the chain still verifies.',
  },
  billingRecords: {
    keep: { years: 7 },
    policy: 'Billing records are kept 7 years, also after the account is deleted.',
    note: 'Declared only: no billing table exists yet (Stripe billing is not built); its purge comes with it.',
  },
  stagedImportRows: {
    keep: { days: 7 },
    policy: 'Staged rows of a contact import (sealed CSV chunks) are removed 7 days after the import ended.',
  },
  idempotencyKeys: {
    keep: { days: 0 },
    policy: 'Idempotency-Keys are removed once expired (24 hours after their claim).',
  },
  sessions: {
    keep: { days: 30 },
    policy: 'Staff and account-holder sessions are removed 30 days after they expired or were revoked.',
  },
  exportTokens: {
    keep: { days: 0 },
    policy: 'Export links (signed tokens) are removed once expired.',
    note: 'Declared only: data subject request exports are read through the API; account-export tokens come with termination.',
  },
} as const;

export type RetentionClass = keyof typeof RETENTION;

/** The classes the daily run purges, in order; the declared-only ones are reported as null. */
export const PURGED_CLASSES = [
  'messageBodies',
  'messageMetadata',
  'stagedImportRows',
  'idempotencyKeys',
  'sessions',
  'auditLog',
] as const satisfies readonly RetentionClass[];
export const DECLARED_ONLY_CLASSES = ['billingRecords', 'exportTokens'] as const satisfies readonly RetentionClass[];

export type PurgedClass = (typeof PURGED_CLASSES)[number];

/** What one run removed: rows per class (message bodies: bodies blanked), null for a class with nothing built yet. */
export interface RetentionReport {
  asOf: string;
  purged: Record<PurgedClass, number> & Record<(typeof DECLARED_ONLY_CLASSES)[number], null>;
}
