import type { Pool, PoolClient } from 'pg';
import { withPgTransaction } from '../../db/pg-pool';
import type { DataKey } from '../../lib/crypto/sealed-field';
import { derivedUuidv7 } from '../../lib/ids';
import { SENDING_SUSPENDED_SQL } from '../billing/sending-suspension';
import { openPii } from '../contacts/contact-pii';
import type { DispatchStatusEvents } from '../messaging/dispatch-status-events';
import { insertMessagesPooled, type MessageRow } from '../messaging/message-store';
import { sealBody, sealRecipient } from '../messaging/send-fields';
import { openTemplate } from './campaign-fields';
import { SPEND_CAP_REACHED_SQL } from '../billing/spend-cap-store';
import { recipientPlace } from './recipient-zone';
import { capFreeAt, insideWindow, nextOpening, sendWindowFor, stateRule, windowClosesAt, type SendWindow } from './send-window';
import { renderMessageFor, requireTemplate } from './template';

/** Why a recipient of the snapshot gets no message; counted per reason in the progress. */
export type SkipReason = 'opted_out' | 'restricted' | 'contact_deleted' | 'timezone_unknown' | 'no_common_window' | 'campaign_cancelled';

export interface CampaignRow {
  id: string;
  accountId: string;
  status: string;
  sender: string;
  template: Buffer;
  listIds: string[];
  excludeListIds: string[];
  startAt: Date | null;
  ratePerSecond: number;
  quietStartMinute: number;
  quietEndMinute: number;
  launchedAt: Date | null;
  totals: CampaignTotals;
}

/** Messages written and recipients skipped (by reason) so far, as stored with the recipients they count. */
export interface CampaignTotals {
  queued: number;
  skipped: Partial<Record<SkipReason, number>>;
}

export async function readCampaign(db: Pool | PoolClient, campaignId: string, lock = ''): Promise<CampaignRow | null> {
  const { rows } = await db.query<Record<string, unknown>>(
    `select id, account_id, status, sender, template, list_ids, exclude_list_ids, start_at, rate_per_second,
            quiet_start_minute, quiet_end_minute, launched_at, queued_count, skipped_counts
       from campaigns where id = $1 ${lock}`,
    [campaignId],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    status: r.status as string,
    sender: r.sender as string,
    template: r.template as Buffer,
    listIds: r.list_ids as string[],
    excludeListIds: r.exclude_list_ids as string[],
    startAt: r.start_at as Date | null,
    ratePerSecond: r.rate_per_second as number,
    quietStartMinute: r.quiet_start_minute as number,
    quietEndMinute: r.quiet_end_minute as number,
    launchedAt: r.launched_at as Date | null,
    totals: { queued: r.queued_count as number, skipped: r.skipped_counts as CampaignTotals['skipped'] },
  };
}

function addTotals(totals: CampaignTotals, queued: number, skipped: Partial<Record<SkipReason, number>>): CampaignTotals {
  const sum = { ...totals.skipped };
  for (const [reason, n] of Object.entries(skipped) as [SkipReason, number][]) if (n) sum[reason] = (sum[reason] ?? 0) + n;
  return { queued: totals.queued + queued, skipped: sum };
}

async function storeTotals(client: PoolClient, campaignId: string, totals: CampaignTotals): Promise<void> {
  await client.query('update campaigns set queued_count = $2, skipped_counts = $3 where id = $1', [
    campaignId,
    totals.queued,
    JSON.stringify(totals.skipped),
  ]);
}

/**
 * One page of the audience snapshot: the next `limit` distinct contacts (by id, after `after`) on
 * any included list and on no excluded one, inserted as pending recipients. Re-running a page
 * inserts nothing twice. Returns the cursor for the next page (null when the audience is done).
 */
export async function snapshotPage(
  pool: Pool,
  campaign: CampaignRow,
  after: string | null,
  limit: number,
): Promise<{ inserted: number; next: string | null }> {
  return withPgTransaction(pool, async (client) => {
    const { rows } = await client.query<{ contact_id: string }>(
      `select distinct contact_id from list_memberships
        where account_id = $1 and list_id = any($2::uuid[]) and ($3::uuid is null or contact_id > $3)
        order by contact_id limit $4`,
      [campaign.accountId, campaign.listIds, after, limit],
    );
    if (rows.length === 0) return { inserted: 0, next: null };
    const ids = rows.map((r) => r.contact_id);
    const inserted = await client.query(
      `insert into campaign_recipients (campaign_id, account_id, contact_id, phone_hash)
       select $1, c.account_id, c.id, c.phone_hash from contacts c
        where c.id = any($2::uuid[]) and c.account_id = $3
          and not exists (select 1 from list_memberships x where x.contact_id = c.id and x.list_id = any($4::uuid[]))
       on conflict do nothing`,
      [campaign.id, ids, campaign.accountId, campaign.excludeListIds],
    );
    return { inserted: inserted.rowCount ?? 0, next: rows.length < limit ? null : ids.at(-1)! };
  });
}

/** Targeted recipients, and memberships that named a contact already targeted through another list. */
export async function snapshotCounts(pool: Pool, campaign: CampaignRow): Promise<{ targeted: number; duplicates: number }> {
  const { rows } = await pool.query<{ targeted: number; memberships: number; distinct_members: number }>(
    `select (select count(*)::int from campaign_recipients where campaign_id = $1) as targeted,
            (select count(*)::int from list_memberships where account_id = $2 and list_id = any($3::uuid[])) as memberships,
            (select count(distinct contact_id)::int from list_memberships where account_id = $2 and list_id = any($3::uuid[])) as distinct_members`,
    [campaign.id, campaign.accountId, campaign.listIds],
  );
  const r = rows[0]!;
  return { targeted: r.targeted, duplicates: r.memberships - r.distinct_members };
}

export interface EnqueuedPage {
  /** The campaign is no longer running (paused or cancelled meanwhile): nothing was written. */
  stopped: boolean;
  /** The campaign's sender number is no longer the account's (removed or released): nothing was written. */
  senderUnavailable: boolean;
  /** The account's sending is suspended for non-payment: nothing was written. Absent from pages recorded before it existed. */
  accountSuspended?: boolean;
  /** The account reached its monthly spend cap: nothing was written (the campaign pauses itself). Absent from pages recorded before it existed. */
  spendCapped?: boolean;
  /** The stored status (null: the campaign is gone), so a workflow can adopt a change made outside it. */
  status: string | null;
  /** The campaign's totals after this page: a retried page's caller counts a committed page once. */
  totals: CampaignTotals;
  queued: number;
  skipped: Partial<Record<SkipReason, number>>;
  /** Recipients found outside their window or over their state's cap in this page (they wait, pending, until `not_before`). */
  deferred: number;
  /** When the page came back short: pending recipients left, those waiting (and of them, for a cap), and the earliest a waiting one may go. */
  pendingLeft: number | null;
  waiting: number | null;
  waitingMessageCap: number | null;
  nextOpeningAt: number | null;
}

interface Candidate {
  contact_id: string;
  phone_hash: Buffer;
  pii: Buffer | null;
  opted_out: boolean;
  restricted: boolean;
}

/** Why a pending recipient waits for `not_before`. */
type WaitReason = 'quiet_hours' | 'message_cap';

/**
 * One page of the send: claims up to `limit` due pending recipients (row locks, SKIP LOCKED), checks
 * each at send time (opt-out, restriction, deleted contact, quiet hours in its zone and state, its
 * state's cap on marketing messages), and for the rest writes the message into the outbox and marks
 * the recipient queued in the same transaction. `now` is the workflow's clock. The message id is
 * derived from (campaign, contact): a replayed page can neither skip nor repeat a recipient. The
 * dispatchers send the messages with failover, like any other.
 */
export async function enqueuePage(pool: Pool, dataKey: DataKey, campaignId: string, limit: number, now: Date): Promise<EnqueuedPage> {
  return withPgTransaction(pool, async (client) => {
    // For update: the page's totals are written back to this row, one page at a time.
    const campaign = await readCampaign(client, campaignId, 'for update');
    const page: EnqueuedPage = {
      stopped: false,
      senderUnavailable: false,
      spendCapped: false,
      status: campaign?.status ?? null,
      totals: campaign?.totals ?? { queued: 0, skipped: {} },
      queued: 0,
      skipped: {},
      deferred: 0,
      pendingLeft: null,
      waiting: null,
      waitingMessageCap: null,
      nextOpeningAt: null,
    };
    if (!campaign || campaign.status !== 'running') return { ...page, stopped: true };
    // A terminated account sends nothing more: its campaign ends as cancelled (the workflow adopts the status).
    if (!(await lockActiveAccount(client, campaign.accountId))) return { ...page, stopped: true, status: 'cancelled' };
    if (!(await senderIsActive(client, campaign))) return { ...page, stopped: true, senderUnavailable: true };
    const gates = await billingGates(client, campaign.accountId, now);
    if (gates.suspended) return { ...page, stopped: true, accountSuspended: true };
    if (gates.capped) return { ...page, stopped: true, spendCapped: true };
    // The page is locked first and joined after: with the join inside the limit, the planner merge-joins
    // contacts from its first key and reads further into it with every page (301 ms a page at 250k of 300k).
    const { rows } = await client.query<Candidate>(
      `with page as (
         select r.contact_id, r.account_id, r.phone_hash
           from campaign_recipients r
          where r.campaign_id = $1 and r.state = 'pending' and (r.not_before is null or r.not_before <= $2)
          order by r.contact_id limit $3
          for update of r skip locked)
       select p.contact_id, p.phone_hash, c.pii,
              exists (select 1 from opt_outs o where o.account_id = p.account_id and o.phone_hash = p.phone_hash) as opted_out,
              exists (select 1 from recipient_restrictions x where x.account_id = p.account_id and x.phone_hash = p.phone_hash) as restricted
         from page p
         left join contacts c on c.id = p.contact_id and c.account_id = p.account_id
        order by p.contact_id`,
      [campaignId, now, limit],
    );
    const template = requireTemplate(openTemplate(dataKey, campaign.id, campaign.template));
    const campaignWindow = { startMinute: campaign.quietStartMinute, endMinute: campaign.quietEndMinute };
    const windowAt = pageWindows(now);
    const messageTime = (campaign.launchedAt ?? now).getTime();
    const messages: MessageRow[] = [];
    const queued: { contactId: string; messageId: string }[] = [];
    const skipped: { contactId: string; reason: SkipReason }[] = [];
    const deferred: { contactId: string; until: Date; why: WaitReason }[] = [];
    const eligible = [];
    for (const r of rows) {
      const reason: SkipReason | null = !r.pii ? 'contact_deleted' : r.opted_out ? 'opted_out' : r.restricted ? 'restricted' : null;
      if (reason) {
        skipped.push({ contactId: r.contact_id, reason });
        continue;
      }
      const pii = openPii(dataKey, r.contact_id, r.pii!);
      const place = recipientPlace(pii.phone, pii.attributes);
      if (!place) {
        skipped.push({ contactId: r.contact_id, reason: 'timezone_unknown' });
        continue;
      }
      const rule = stateRule(place.region);
      const window = sendWindowFor(campaignWindow, rule);
      const at = windowAt(place.zones, window);
      eligible.push({ r, pii, zones: place.zones, rule, window, open: at.open, closesAt: at.closesAt });
    }
    // Only a recipient that could go now is counted against its cap (one outside its window is re-checked when it opens).
    const capped = eligible.filter((e) => e.open && e.rule?.cap);
    const recent = await recentCampaignSends(
      client,
      campaign,
      capped.map((e) => e.r.phone_hash),
      now,
      Math.max(0, ...capped.map((e) => e.rule!.cap!.hours)),
    );
    for (const { r, pii, zones, rule, window, open, closesAt } of eligible) {
      const capFree = open && rule?.cap ? capFreeAt(recent.get(r.phone_hash.toString('hex')) ?? [], rule.cap, now) : null;
      const capWait = capFree && capFree > now ? capFree : null;
      if (capWait || !open) {
        const opening = capWait ? nextOpening(zones, capWait, window) : windowAt(zones, window).opening();
        if (opening) deferred.push({ contactId: r.contact_id, until: opening, why: capWait ? 'message_cap' : 'quiet_hours' });
        else skipped.push({ contactId: r.contact_id, reason: 'no_common_window' });
        continue;
      }
      const id = derivedUuidv7(messageTime, 'campaign-message', campaign.id, r.contact_id);
      const { body, encoding, segments } = renderMessageFor(template, { name: pii.name, attributes: pii.attributes });
      messages.push({
        id,
        accountId: campaign.accountId,
        direction: 'outbound',
        kind: 'campaign',
        recipientHash: r.phone_hash,
        recipientPii: sealRecipient(dataKey, id, pii.phone),
        sender: campaign.sender,
        body: sealBody(dataKey, id, body),
        encoding,
        segments,
        status: 'queued',
        campaignId: campaign.id,
        // The dispatchers check it before every attempt: a retried or failed-over message never goes late.
        sendBefore: closesAt(),
        createdAt: now,
      });
      queued.push({ contactId: r.contact_id, messageId: id });
    }
    await insertMessagesPooled(client, messages, { ignoreExisting: true });
    await markRecipients(client, campaignId, queued, skipped, deferred);
    page.queued = queued.length;
    page.deferred = deferred.length;
    for (const s of skipped) page.skipped[s.reason] = (page.skipped[s.reason] ?? 0) + 1;
    if (queued.length > 0 || skipped.length > 0) {
      page.totals = addTotals(campaign.totals, page.queued, page.skipped);
      await storeTotals(client, campaignId, page.totals);
    }
    if (rows.length < limit) Object.assign(page, await pendingSummary(client, campaignId, now));
    return page;
  });
}

interface PageWindow {
  open: boolean;
  opening: () => Date | null;
  /** When the window open at the page's instant closes (asked only when open). */
  closesAt: () => Date;
}

/**
 * A page's recipients share a handful of (zones, window) pairs: whether each is open at the page's
 * instant, when it next opens and when it closes, is worked out once a page (each is several luxon
 * zone conversions).
 */
function pageWindows(now: Date): (zones: string[], window: SendWindow) => PageWindow {
  const known = new Map<string, PageWindow>();
  return (zones, window) => {
    const key = `${zones.join(' ')}|${JSON.stringify(window)}`;
    let answer = known.get(key);
    if (!answer) {
      const open = insideWindow(zones, now, window);
      let opening: Date | null | undefined;
      let closes: Date | undefined;
      answer = {
        open,
        opening: () => (opening === undefined ? (opening = open ? now : nextOpening(zones, now, window)) : opening),
        closesAt: () => (closes ??= windowClosesAt(zones, now, window)),
      };
      known.set(key, answer);
    }
    return answer;
  };
}

/**
 * Whether the account is active, holding its row's share lock to the page's commit: termination takes
 * the row's update lock, so it waits for a page being written and a page waits for it (and then stops).
 */
async function lockActiveAccount(client: PoolClient, accountId: string): Promise<boolean> {
  const { rows } = await client.query<{ status: string }>('select status from accounts where id = $1 for share', [accountId]);
  return rows[0]?.status === 'active';
}

/** Billing's two gates on a page, in one round trip: sending suspended for non-payment, monthly spend cap reached. */
async function billingGates(client: PoolClient, accountId: string, now: Date): Promise<{ suspended: boolean; capped: boolean }> {
  const { rows } = await client.query<{ suspended: boolean; capped: boolean }>(
    `select ${SENDING_SUSPENDED_SQL('$1::uuid')} as suspended, ${SPEND_CAP_REACHED_SQL('$1::uuid', '$2::timestamptz')} as capped`,
    [accountId, now],
  );
  return rows[0]!;
}

/** Whether the campaign's sender is still one of its account's sendable numbers (a released number sends nothing new). */
async function senderIsActive(client: PoolClient, campaign: CampaignRow): Promise<boolean> {
  const { rows } = await client.query<{ active: boolean }>(
    `select exists (select 1 from sender_numbers
      where account_id = $1 and phone_e164 = $2 and status in ('failover_pending', 'active')) as active`,
    [campaign.accountId, campaign.sender],
  );
  return rows[0]!.active;
}

/**
 * When each number was sent a campaign message by this account in the trailing `hours` (ascending,
 * keyed by the phone hash in hex): sent_at, or for one not sent yet, when it was queued. Cancelled
 * and suppressed messages never reached anyone and do not count, nor does this campaign's own
 * (its one message to the number: a replayed page must not hold it against itself). The numbers
 * are locked first (in a fixed order, until the transaction ends) so two campaigns' pages cannot
 * both count a number under its cap and both send to it.
 */
async function recentCampaignSends(
  client: PoolClient,
  campaign: CampaignRow,
  phoneHashes: Buffer[],
  now: Date,
  hours: number,
): Promise<Map<string, Date[]>> {
  if (phoneHashes.length === 0) return new Map();
  await client.query(
    `select pg_advisory_xact_lock(k) from (
       select distinct hashtextextended('campaign-cap:' || $1 || ':' || encode(h, 'hex'), 0) as k from unnest($2::bytea[]) h
     ) s order by k`,
    [campaign.accountId, phoneHashes],
  );
  const { rows } = await client.query<{ phone_hash: Buffer; sent: Date[] }>(
    `select recipient_hash as phone_hash, array_agg(t order by t) as sent from (
       select recipient_hash, coalesce(sent_at, created_at) as t from messages
        where account_id = $1 and recipient_hash = any($2::bytea[]) and kind = 'campaign'
          and campaign_id is distinct from $5 and status <> 'suppressed' and error_code is distinct from 'campaign_cancelled'
     ) m where t > $3::timestamptz - make_interval(hours => $4)
     group by recipient_hash`,
    [campaign.accountId, phoneHashes, now, hours, campaign.id],
  );
  return new Map(rows.map((r) => [r.phone_hash.toString('hex'), r.sent]));
}

/** Each examined recipient's outcome in one statement: queued (with its message), skipped (with why), or deferred. */
async function markRecipients(
  client: PoolClient,
  campaignId: string,
  queued: { contactId: string; messageId: string }[],
  skipped: { contactId: string; reason: SkipReason }[],
  deferred: { contactId: string; until: Date; why: WaitReason }[],
): Promise<void> {
  const rows = [
    ...queued.map((q) => ({ contactId: q.contactId, state: 'queued', reason: null, messageId: q.messageId, until: null, why: null })),
    ...skipped.map((k) => ({ contactId: k.contactId, state: 'skipped', reason: k.reason, messageId: null, until: null, why: null })),
    ...deferred.map((d) => ({ contactId: d.contactId, state: 'pending', reason: null, messageId: null, until: d.until, why: d.why })),
  ];
  if (rows.length === 0) return;
  await client.query(
    `update campaign_recipients r
        set state = x.state, skip_reason = x.reason, message_id = x.message_id, not_before = x.until, wait_reason = x.why
       from unnest($2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::timestamptz[], $7::text[])
            as x (contact_id, state, reason, message_id, until, why)
      where r.campaign_id = $1 and r.contact_id = x.contact_id`,
    [
      campaignId,
      rows.map((r) => r.contactId),
      rows.map((r) => r.state),
      rows.map((r) => r.reason),
      rows.map((r) => r.messageId),
      rows.map((r) => r.until),
      rows.map((r) => r.why),
    ],
  );
}

async function pendingSummary(client: PoolClient, campaignId: string, now: Date) {
  const { rows } = await client.query<{ pending: number; waiting: number; waiting_cap: number; next_opening: Date | null }>(
    `select count(*)::int as pending,
            (count(*) filter (where not_before > $2))::int as waiting,
            (count(*) filter (where not_before > $2 and wait_reason = 'message_cap'))::int as waiting_cap,
            min(not_before) filter (where not_before > $2) as next_opening
       from campaign_recipients where campaign_id = $1 and state = 'pending'`,
    [campaignId, now],
  );
  const r = rows[0]!;
  return { pendingLeft: r.pending, waiting: r.waiting, waitingMessageCap: r.waiting_cap, nextOpeningAt: r.next_opening?.getTime() ?? null };
}

/**
 * Cancels what has not gone out: pending recipients are skipped and the campaign's messages still
 * queued in the outbox fail with `campaign_cancelled` (ones a dispatcher already claimed finish).
 */
export async function cancelUnsent(
  pool: Pool,
  events: DispatchStatusEvents,
  campaignId: string,
): Promise<{ recipients: number; messages: number; totals: CampaignTotals }> {
  return withPgTransaction(pool, async (client) => {
    const campaign = await readCampaign(client, campaignId, 'for update');
    const recipients = await client.query(
      `update campaign_recipients set state = 'skipped', skip_reason = 'campaign_cancelled', not_before = null, wait_reason = null
        where campaign_id = $1 and state = 'pending'`,
      [campaignId],
    );
    const messages = await client.query<{ id: string; account_id: string }>(
      `update messages set status = 'failed', error_code = 'campaign_cancelled', failed_at = now(), claimed_until = null, updated_at = now()
        where campaign_id = $1 and status = 'queued'
        returning id, account_id`,
      [campaignId],
    );
    // Only rows still 'queued' were written: that is their previous status.
    await events.changedFrom(
      client,
      messages.rows.map((m) => ({ id: m.id, accountId: m.account_id })),
      'queued',
    );
    const cancelled = { recipients: recipients.rowCount ?? 0, messages: messages.rowCount ?? 0 };
    // A message failed here was counted queued: it moves to the cancelled, like the pending recipients.
    const totals = addTotals(campaign?.totals ?? { queued: 0, skipped: {} }, -cancelled.messages, {
      campaign_cancelled: cancelled.recipients + cancelled.messages,
    });
    if (campaign && cancelled.recipients + cancelled.messages > 0) await storeTotals(client, campaignId, totals);
    return { ...cancelled, totals };
  });
}

/** Whether any of the campaign's messages has yet to reach a final status. */
export async function hasUnfinishedMessages(pool: Pool, campaignId: string): Promise<boolean> {
  const { rows } = await pool.query<{ unfinished: boolean }>(
    `select exists (select 1 from messages where campaign_id = $1 and status in ('queued', 'sending')) as unfinished`,
    [campaignId],
  );
  return rows[0]!.unfinished;
}

/**
 * The campaign's messages per status (one indexed scan of its messages); queued ones waiting for
 * their next window (it closed before a carrier took them) are counted as `waiting`.
 */
export async function messageStatusCounts(db: Pool | PoolClient, campaignId: string): Promise<Record<string, number>> {
  const { rows } = await db.query<{ status: string; n: number }>(
    `select case when status = 'queued' and wait_reason is not null then 'waiting' else status end as status, count(*)::int as n
       from messages where campaign_id = $1 group by 1`,
    [campaignId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

export async function setCampaignStatus(pool: Pool, campaignId: string, from: string[], to: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    `update campaigns set status = $3, updated_at = now(),
            finished_at = case when $3 in ('completed', 'cancelled') then now() else finished_at end
      where id = $1 and status = any($2::text[])`,
    [campaignId, from, to],
  );
  return (rowCount ?? 0) > 0;
}
