import type { Pool } from 'pg';
import type { SenderNumberStatus } from '../../db/entities/sender-number';

/**
 * A released number is held back this long before another account can order it. Carriers age a
 * disconnected number before reassigning it (up to 90 days in the US) so that the people who texted
 * the old owner stop doing so: a new owner must not receive their replies and STOPs, nor send to
 * them as a business they never heard of. The last owner may take it back within the window.
 */
export const NUMBER_QUARANTINE_DAYS = 90;

export interface NumberRow {
  id: string;
  accountId: string;
  phone: string;
  status: SenderNumberStatus;
  telnyxOrderId: string | null;
  telnyxNumberId: string | null;
  twilioHostedOrderSid: string | null;
  twilioNumberSid: string | null;
}

/** The provisioning state the order and release workflows work from. */
export async function readNumber(pool: Pool, id: string): Promise<NumberRow | null> {
  const { rows } = await pool.query<{
    id: string;
    account_id: string;
    phone_e164: string;
    status: SenderNumberStatus;
    telnyx_order_id: string | null;
    telnyx_number_id: string | null;
    twilio_hosted_order_sid: string | null;
    twilio_number_sid: string | null;
  }>(
    `select id, account_id, phone_e164, status, telnyx_order_id, telnyx_number_id, twilio_hosted_order_sid, twilio_number_sid
       from sender_numbers where id = $1`,
    [id],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id,
    accountId: r.account_id,
    phone: r.phone_e164,
    status: r.status,
    telnyxOrderId: r.telnyx_order_id,
    telnyxNumberId: r.telnyx_number_id,
    twilioHostedOrderSid: r.twilio_hosted_order_sid,
    twilioNumberSid: r.twilio_number_sid,
  };
}

type CarrierRefs = Partial<Pick<NumberRow, 'telnyxOrderId' | 'telnyxNumberId' | 'twilioHostedOrderSid' | 'twilioNumberSid'>>;

/** Records what a carrier answered; never overwrites a reference already recorded. */
export async function recordCarrierRefs(pool: Pool, id: string, refs: CarrierRefs): Promise<void> {
  await pool.query(
    `update sender_numbers set telnyx_order_id = coalesce(telnyx_order_id, $2), telnyx_number_id = coalesce(telnyx_number_id, $3),
            twilio_hosted_order_sid = coalesce(twilio_hosted_order_sid, $4), twilio_number_sid = coalesce(twilio_number_sid, $5),
            updated_at = now()
      where id = $1`,
    [id, refs.telnyxOrderId ?? null, refs.telnyxNumberId ?? null, refs.twilioHostedOrderSid ?? null, refs.twilioNumberSid ?? null],
  );
}

/**
 * Moves the number forward from one of `from` to `to` (a release that started meanwhile is never
 * undone by an order step finishing late). True when it moved.
 */
export async function advanceNumber(
  pool: Pool,
  id: string,
  from: readonly SenderNumberStatus[],
  to: SenderNumberStatus,
  failureReason: string | null = null,
): Promise<boolean> {
  const res = await pool.query(
    `update sender_numbers set status = $3, failure_reason = coalesce($4, failure_reason), updated_at = now()
      where id = $1 and status = any($2::text[])`,
    [id, from, to, failureReason],
  );
  return (res.rowCount ?? 0) > 0;
}

/** Of these numbers, the ones another account holds or released within the quarantine. */
export async function unavailableToAccount(pool: Pool, accountId: string, phones: string[]): Promise<Set<string>> {
  const { rows } = await pool.query<{ phone_e164: string }>(
    `select distinct phone_e164 from sender_numbers
      where phone_e164 = any($1::text[]) and account_id <> $2
        and (status not in ('released', 'order_failed')
          or (status = 'released' and released_at > now() - make_interval(days => $3)))`,
    [phones, accountId, NUMBER_QUARANTINE_DAYS],
  );
  return new Set(rows.map((r) => r.phone_e164));
}

/** Of these messages, the ones whose sender is not yet registered for SMS at the failover carrier. */
export async function messagesWithoutFailover(pool: Pool, messageIds: string[]): Promise<Set<string>> {
  if (messageIds.length === 0) return new Set();
  const { rows } = await pool.query<{ id: string }>(
    `select m.id from messages m
       join sender_numbers s on s.account_id = m.account_id and s.phone_e164 = m.sender and s.status = 'failover_pending'
      where m.id = any($1::uuid[])`,
    [messageIds],
  );
  return new Set(rows.map((r) => r.id));
}
