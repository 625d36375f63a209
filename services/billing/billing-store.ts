import type { Pool, PoolClient } from 'pg';
import { uuidv7 } from '../../lib/ids';
import type { CardDisplay, InvoiceView } from '../../providers/billing/billing-provider';

type Db = Pool | PoolClient;

export interface AccountBillingRow {
  account_id: string;
  payment_method_id: string | null;
  card_brand: string | null;
  card_last4: string | null;
  card_exp_month: number | null;
  card_exp_year: number | null;
  card_country: string | null;
  payment_method_event_at: Date | null;
  subscription_id: string | null;
  subscription_status: string | null;
  subscription_event_at: Date | null;
  dunning_invoice_id: string | null;
  dunning_started_at: Date | null;
  sending_suspended_at: Date | null;
}

export interface BillingRecordRow {
  id: string;
  kind: 'invoice' | 'payment_method' | 'credit';
  stripe_object_id: string;
  invoice_number: string | null;
  period_start: Date | null;
  period_end: Date | null;
  amount_due: string | null;
  amount_paid: string | null;
  currency: string | null;
  status: string;
  hosted_invoice_url: string | null;
  card_brand: string | null;
  card_last4: string | null;
  card_exp_month: number | null;
  card_exp_year: number | null;
  card_country: string | null;
  reason: string | null;
  occurred_at: Date;
}

/** The one place billing SQL is written; every query is scoped by account id. */
export async function stripeCustomerIdOf(db: Db, accountId: string): Promise<string | null> {
  const { rows } = await db.query<{ stripe_customer_id: string | null }>('select stripe_customer_id from accounts where id = $1', [
    accountId,
  ]);
  return rows[0]?.stripe_customer_id ?? null;
}

export async function accountIdOfCustomer(db: Db, customerId: string): Promise<string | null> {
  const { rows } = await db.query<{ id: string }>('select id from accounts where stripe_customer_id = $1', [customerId]);
  return rows[0]?.id ?? null;
}

/** Records the customer once: a second creation (never expected) keeps the first. Answers the recorded id. */
export async function recordStripeCustomer(db: Db, accountId: string, customerId: string): Promise<string> {
  const { rows } = await db.query<{ stripe_customer_id: string }>(
    `update accounts set stripe_customer_id = coalesce(stripe_customer_id, $2), updated_at = now()
      where id = $1 returning stripe_customer_id`,
    [accountId, customerId],
  );
  if (!rows[0]) throw new Error(`account ${accountId} does not exist`);
  return rows[0].stripe_customer_id;
}

export async function readAccountBilling(db: Db, accountId: string): Promise<AccountBillingRow | null> {
  const { rows } = await db.query<AccountBillingRow>('select * from account_billing where account_id = $1', [accountId]);
  return rows[0] ?? null;
}

/** Locks (creating if needed) the account's billing row for the applying transaction. */
export async function lockAccountBilling(client: PoolClient, accountId: string): Promise<AccountBillingRow> {
  await client.query('insert into account_billing (account_id, updated_at) values ($1, now()) on conflict (account_id) do nothing', [
    accountId,
  ]);
  const { rows } = await client.query<AccountBillingRow>('select * from account_billing where account_id = $1 for update', [accountId]);
  return rows[0]!;
}

/** True the first time this event id is seen (the caller's transaction then applies it). */
export async function claimStripeEvent(client: PoolClient, event: { id: string; type: string; created: number }): Promise<boolean> {
  const { rowCount } = await client.query(
    `insert into stripe_events (event_id, type, created_at, received_at) values ($1, $2, to_timestamp($3), now())
     on conflict (event_id) do nothing`,
    [event.id, event.type, event.created],
  );
  return rowCount === 1;
}

export async function setPaymentMethod(
  client: PoolClient,
  accountId: string,
  method: { id: string; card: CardDisplay | null } | null,
  eventAt: Date,
): Promise<void> {
  await client.query(
    `update account_billing set payment_method_id = $2, card_brand = $3, card_last4 = $4, card_exp_month = $5, card_exp_year = $6,
            card_country = $7, payment_method_event_at = $8, updated_at = now()
      where account_id = $1`,
    [
      accountId,
      method?.id ?? null,
      method?.card?.brand ?? null,
      method?.card?.last4 ?? null,
      method?.card?.expMonth ?? null,
      method?.card?.expYear ?? null,
      method?.card?.country ?? null,
      eventAt,
    ],
  );
}

export async function setSubscription(
  db: Db,
  accountId: string,
  subscription: { id: string; status: string },
  eventAt: Date,
): Promise<void> {
  await db.query(
    `update account_billing set subscription_id = $2, subscription_status = $3, subscription_event_at = $4, updated_at = now()
      where account_id = $1`,
    [accountId, subscription.id, subscription.status, eventAt],
  );
}

export async function setDunning(db: Db, accountId: string, dunning: { invoiceId: string; startedAt: Date } | null): Promise<void> {
  await db.query(`update account_billing set dunning_invoice_id = $2, dunning_started_at = $3, updated_at = now() where account_id = $1`, [
    accountId,
    dunning?.invoiceId ?? null,
    dunning?.startedAt ?? null,
  ]);
}

/** Upserts an invoice record: a later status (paid after open) replaces an earlier one, never the reverse. */
export async function recordInvoice(client: PoolClient, accountId: string, invoice: InvoiceView, eventAt: Date): Promise<void> {
  await client.query(
    `insert into billing_records (id, account_id, kind, stripe_object_id, invoice_number, period_start, period_end, amount_due,
                                  amount_paid, currency, status, hosted_invoice_url, occurred_at, created_at)
     values ($1, $2, 'invoice', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now())
     on conflict (kind, stripe_object_id) do update
       set invoice_number = excluded.invoice_number, amount_due = excluded.amount_due, amount_paid = excluded.amount_paid,
           status = excluded.status, hosted_invoice_url = excluded.hosted_invoice_url, occurred_at = excluded.occurred_at
     where billing_records.account_id = excluded.account_id and billing_records.occurred_at <= excluded.occurred_at`,
    [
      uuidv7(),
      accountId,
      invoice.id,
      invoice.number,
      invoice.periodStart,
      invoice.periodEnd,
      invoice.amountDue,
      invoice.amountPaid,
      invoice.currency,
      invoice.status,
      invoice.hostedInvoiceUrl,
      eventAt,
    ],
  );
}

export async function recordPaymentMethodChange(
  client: PoolClient,
  accountId: string,
  change: { eventId: string; status: 'attached' | 'detached' | 'updated'; card: CardDisplay | null },
  eventAt: Date,
): Promise<void> {
  await client.query(
    `insert into billing_records (id, account_id, kind, stripe_object_id, status, card_brand, card_last4, card_exp_month, card_exp_year,
                                  card_country, occurred_at, created_at)
     values ($1, $2, 'payment_method', $3, $4, $5, $6, $7, $8, $9, $10, now())
     on conflict (kind, stripe_object_id) do nothing`,
    [
      uuidv7(),
      accountId,
      change.eventId,
      change.status,
      change.card?.brand ?? null,
      change.card?.last4 ?? null,
      change.card?.expMonth ?? null,
      change.card?.expYear ?? null,
      change.card?.country ?? null,
      eventAt,
    ],
  );
}

export async function listBillingRecords(db: Db, accountId: string, limit: number): Promise<BillingRecordRow[]> {
  const { rows } = await db.query<BillingRecordRow>(
    `select id, kind, stripe_object_id, invoice_number, period_start, period_end, amount_due::text, amount_paid::text, currency, status,
            hosted_invoice_url, card_brand, card_last4, card_exp_month, card_exp_year, card_country, reason, occurred_at
       from billing_records where account_id = $1 order by occurred_at desc, id desc limit $2`,
    [accountId, limit],
  );
  return rows;
}
