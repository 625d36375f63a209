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
    note: 'billing_records (invoices, card changes, credits) are purged 7 years after they occurred; the other billing tables of this class are not purged yet.',
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
    policy: 'Staff and account-holder sessions, and emailed links, are removed 30 days after they expired or were revoked.',
  },
  exportTokens: {
    keep: { days: 0 },
    policy: 'Export links (signed tokens) are removed once expired.',
    note: 'Declared only: data subject request exports are read through the API; account-export tokens come with termination.',
  },
  providerWebhookEvents: {
    keep: { days: 30 },
    // Telnyx refuses a callback older than its 5-minute tolerance; Twilio's carry no timestamp, but a
    // replayed status cannot move a message backwards and an inbound's id is unique on its message.
    policy: 'Carrier callback event ids (replay protection) are removed 30 days after they were received.',
  },
  webhookDeliveries: {
    keep: { days: 30 },
    // The customer reads them through GET /v1/webhook-endpoints/:id/deliveries to debug an endpoint; a month covers that.
    policy: 'Customer webhook deliveries and their attempts are removed 30 days after the delivery ended (delivered or failed).',
  },
  campaignRecipients: {
    keep: { days: 90 },
    // Like the bodies: long enough for a dispute about who a campaign reached; the campaign keeps its totals.
    policy: "A campaign's recipient snapshot (a phone hash per recipient) is removed 90 days after the campaign ended.",
  },
  finishedImports: {
    keep: { days: 30 },
    // The customer fixes refused rows from the error list; after a month the counts have no use left.
    policy: 'A finished contact import (its counts, per-row errors and chunk results) is removed 30 days after it ended.',
  },
  noticeDeliveries: {
    keep: { years: 7 },
    // Evidence that each controller was told (GDPR Art. 33, the DPA's notice periods), kept as long as the audit log.
    policy: 'The record of each notice sent (breach, subprocessor, policy change) is kept 7 years, then removed.',
  },
  accountData: {
    keep: { days: 30 },
    policy: "An account's data is kept while it is active and deleted within 30 days of closure.",
    note: 'Enforced by the account termination workflow (termination:<accountId>), not by the daily run.',
  },
  optOuts: {
    keep: null,
    policy:
      'Opt-outs are kept indefinitely and honoured across re-uploads and account deletion (as a keyed hash once the account is gone).',
    note: 'Never purged.',
  },
  complianceRecords: {
    keep: { years: 7 },
    policy:
      'Records that a compliance process ran (terminations and their certificates, data subject requests without their subject, the breach register, in-product notices) are kept 7 years.',
    note: 'Declared only: the first of these turns 7 years old in 2033; the purge comes before then.',
  },
  consentRecords: {
    keep: { years: 7 },
    // GDPR Art. 7(1): the controller must be able to show that consent was given, so the record outlives the choice.
    policy:
      "A holder's consent records (purpose, policy version, time, how given or withdrawn) are kept while the holder's identity lives and 7 years after, as the audit log is.",
    note: 'Declared only: never purged yet; the first record turns 7 years old in 2033, the purge comes before then.',
  },
  staffAccounts: {
    keep: null,
    policy: 'Staff accounts are disabled, never deleted, while the audit log names them.',
    note: 'Never purged by the daily run.',
  },
  systemRecords: {
    keep: null,
    policy:
      'Configuration without personal data (wrapped system keys, carrier health, the subprocessor list, policy versions, the changelog, migration bookkeeping) is kept while in use.',
    note: 'Never purged.',
  },
} as const;

export type RetentionClass = keyof typeof RETENTION;

/** What the daily run purged before every table had a class: a run started then replays this list. */
export const PURGED_CLASSES_V1 = [
  'messageBodies',
  'messageMetadata',
  'stagedImportRows',
  'idempotencyKeys',
  'sessions',
  'auditLog',
] as const satisfies readonly RetentionClass[];
/** What the daily run purged once every table had a class, before billing records were purged. */
export const PURGED_CLASSES_V2 = [
  ...PURGED_CLASSES_V1,
  'providerWebhookEvents',
  'webhookDeliveries',
  'campaignRecipients',
  'finishedImports',
  'noticeDeliveries',
] as const satisfies readonly RetentionClass[];
/** The classes the daily run purges, in order; the declared-only ones are reported as null. */
export const PURGED_CLASSES = [...PURGED_CLASSES_V2, 'billingRecords'] as const satisfies readonly RetentionClass[];
export const DECLARED_ONLY_CLASSES = ['exportTokens'] as const satisfies readonly RetentionClass[];
/** Classes enforced elsewhere (termination) or kept for good: not part of the daily report. */
export const NOT_DAILY_CLASSES = [
  'accountData',
  'optOuts',
  'complianceRecords',
  'staffAccounts',
  'systemRecords',
  'consentRecords',
] as const satisfies readonly RetentionClass[];

export type PurgedClass = (typeof PURGED_CLASSES)[number];

/**
 * What one run removed: rows per class (message bodies: bodies blanked), null for a class with
 * nothing built yet, or not purged by a run started before its class existed.
 */
export interface RetentionReport {
  asOf: string;
  purged: Record<PurgedClass, number | null> & Record<(typeof DECLARED_ONLY_CLASSES)[number], null>;
}
