import type { RetentionClass } from './retention-policy';

/**
 * SPEC §2: every table belongs to a retention class. One line per table of the public schema,
 * naming the class(es) whose rule removes its rows (or columns); tests/retention.test.ts lists the
 * database's tables and fails for a table missing here. A new table gets its line with its migration.
 */
export const TABLE_RETENTION: Readonly<Record<string, readonly RetentionClass[]>> = {
  // Account data: deleted (or scrubbed) by the termination workflow within 30 days of closure.
  accounts: ['accountData'],
  account_data_keys: ['accountData'],
  api_keys: ['accountData'],
  users: ['accountData'],
  // A membership goes with its account; the identity with its last membership (termination's users step).
  account_memberships: ['accountData'],
  account_invitations: ['accountData', 'sessions'],
  contacts: ['accountData'],
  lists: ['accountData'],
  list_memberships: ['accountData'],
  campaigns: ['accountData'],
  webhook_endpoints: ['accountData'],
  sender_numbers: ['accountData'],
  messaging_settings: ['accountData'],
  recipient_restrictions: ['accountData'],
  subprocessor_objections: ['accountData'],
  // Messages: the body after 90 days, the row after 24 months; attempts go with their message.
  messages: ['messageMetadata'],
  message_bodies: ['messageBodies', 'messageMetadata'],
  message_attempts: ['messageMetadata'],
  opt_outs: ['optOuts'],
  audit_log: ['auditLog'],
  // The chain's checkpoints and cut records are kept with the log they vouch for.
  audit_checkpoints: ['auditLog'],
  audit_retention_cuts: ['auditLog'],
  idempotency_keys: ['idempotencyKeys'],
  sessions: ['sessions'],
  staff_sessions: ['sessions'],
  email_links: ['sessions'],
  contact_import_chunks: ['stagedImportRows'],
  contact_imports: ['finishedImports'],
  contact_import_errors: ['finishedImports'],
  contact_import_chunk_results: ['finishedImports'],
  provider_webhook_events: ['providerWebhookEvents'],
  webhook_deliveries: ['webhookDeliveries'],
  webhook_delivery_attempts: ['webhookDeliveries'],
  campaign_recipients: ['campaignRecipients'],
  notice_deliveries: ['noticeDeliveries'],
  account_terminations: ['complianceRecords'],
  account_deletion_checkpoints: ['complianceRecords'],
  data_subject_requests: ['complianceRecords'],
  data_subject_request_extensions: ['complianceRecords'],
  breaches: ['complianceRecords'],
  breach_affected_accounts: ['complianceRecords'],
  breach_updates: ['complianceRecords'],
  // An account's banners go with the account; the broadcast ones (no account) are kept as records.
  customer_notices: ['accountData', 'complianceRecords'],
  staff_users: ['staffAccounts'],
  // One-time enrolment links (a SHA-256 of the token, used or expired within 72 h): a handful per staff user.
  staff_enrolments: ['staffAccounts'],
  system_keys: ['systemRecords'],
  carrier_health: ['systemRecords'],
  // Sign-in and key-creation counters keyed by an HMAC; rate-limiter-flexible deletes rows an hour past expiry.
  auth_rate_limits: ['systemRecords'],
  subprocessors: ['systemRecords'],
  policy_versions: ['systemRecords'],
  changelog_entries: ['systemRecords'],
  mikro_orm_migrations: ['systemRecords'],
  // The holder's profile (name, country, sealed billing address and tax ID): goes with the identity (users row, cascade).
  holder_profiles: ['accountData'],
  // Consent given or withdrawn, as evidence: append-only, kept past the identity (no foreign key).
  holder_consents: ['consentRecords'],
  // Google sign-in: the (issuer, subject) linked to a holder goes with the identity (cascade); a sign-in's
  // single-use state digest and a pending link's token digest go like sessions, 30 days after they expired.
  holder_oidc_identities: ['accountData'],
  oidc_sign_in_flows: ['sessions'],
  oidc_pending_links: ['accountData', 'sessions'],
  // Billing: invoices and card-display records, the Stripe event ids applied, the usage rows invoices are
  // built from, caps and alerts. Kept 7 years, also after the account is deleted (the purge is declared only).
  billing_records: ['billingRecords'],
  account_billing: ['billingRecords'],
  stripe_events: ['billingRecords'],
  usage_events: ['billingRecords'],
  billing_account_settings: ['billingRecords'],
  billing_period_usage: ['billingRecords'],
  billing_threshold_alerts: ['billingRecords'],
  // The price list per segment, effective-dated: the platform's, not an account's.
  billing_prices: ['systemRecords'],
};
