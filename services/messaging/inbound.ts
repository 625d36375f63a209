import type { EntityManager } from '@mikro-orm/postgresql';
import { HELD_STATUSES, SenderNumber } from '../../db/entities/sender-number';
import { phoneHash } from '../../lib/crypto/phone-hash';
import type { DataKey } from '../../lib/crypto/sealed-field';
import { uuidv7 } from '../../lib/ids';
import { normalizePhone } from '../../lib/phone';
import { analyzeSms } from '../../lib/sms/encoding';
import type { CarrierWebhookEvent } from '../../providers/sms/carrier';
import type { ServiceDeps } from '../deps';
import { DataKeyDestroyedError } from '../keyring';
import { optedOutHashes } from '../opt-out-lookup';
import type { OptOutsService } from '../opt-outs';
import { keywordOf, startConfirmation, stopConfirmation, type Keyword } from './keywords';
import { insertInboundOnce, insertMessages, isPlatformNumber, keywordRepliesToday, lockRecipient, suppressQueuedTo } from './message-store';
import type { MessagingSettingsService } from './messaging-settings';
import { sealBody, sealRecipient } from './send-fields';

export type InboundEvent = Extract<CarrierWebhookEvent, { type: 'inbound' }>;

export interface InboundOutcome {
  /** No account holds the To number (or the carrier sent this message before): nothing stored. */
  ignored?: 'unknown_number' | 'duplicate' | 'account_erased';
  accountId?: string;
  messageId?: string;
  keyword?: Keyword;
  /** STOP: the number was not opted out before this message. */
  optedOut?: boolean;
  /** START: an opt-out was removed. */
  optedIn?: boolean;
  /** Queued messages to the number that STOP suppressed. */
  suppressed?: string[];
  /** The keyword reply written to the outbox. */
  replyId?: string;
  /** Why a keyword got no reply: the sender is one of our numbers, or HELP was answered today. */
  replyWithheld?: 'platform_number' | 'daily_limit';
}

/** HELP answers per (our number, recipient) per 24 hours: a help text answered by a bot cannot loop. */
export const HELP_REPLIES_PER_DAY = 1;

/**
 * Inbound SMS, inside the caller's transaction: routed to an account by the To number, stored (body
 * and the sender's number sealed), and keywords applied. STOP opts the number out, suppresses every
 * still-queued message to it and confirms once: a STOP from a number already opted out (a repeat, or
 * a second STOP racing the first — serialized per number) is stored but not confirmed again.
 * START confirms only when it removed an opt-out (a "yes" in a conversation gets no reply). HELP is
 * answered once per (our number, sender) per day, and no keyword is ever answered to one of the
 * platform's own numbers: auto-replies cannot ping-pong between two accounts' numbers.
 */
export class InboundService {
  constructor(
    private readonly deps: Pick<ServiceDeps, 'keyring' | 'keys' | 'logger'>,
    private readonly optOuts: OptOutsService,
    private readonly settings: MessagingSettingsService,
  ) {}

  async receive(em: EntityManager, event: InboundEvent): Promise<InboundOutcome> {
    const to = normalizePhone(event.to);
    const owner = to.ok ? await this.ownerOf(em, to.e164) : null;
    if (!owner) {
      this.deps.logger.info({ carrier: event.carrier, eventId: event.eventId }, 'inbound message to a number no account holds: ignored');
      return { ignored: 'unknown_number' };
    }
    const accountId = owner.accountId;
    const ourNumber = owner.phoneE164;
    // Short codes and alphanumeric senders are not E.164: kept as sent, and never opted out by number.
    const parsedFrom = normalizePhone(event.from);
    const from = parsedFrom.ok ? parsedFrom.e164 : event.from.trim();
    const hash = phoneHash(this.deps.keys.phoneHashKey, from);
    const dataKey = await this.keyOrNull(em, accountId);
    if (!dataKey) return { ignored: 'account_erased' };
    const now = new Date();
    const id = uuidv7(now.getTime());
    const stored = await insertInboundOnce(em, {
      id,
      accountId,
      direction: 'inbound',
      kind: 'inbound',
      recipientHash: hash,
      recipientPii: sealRecipient(dataKey, id, from),
      sender: ourNumber,
      body: sealBody(dataKey, id, event.body),
      ...analyzeSms(event.body),
      status: 'received',
      carrier: event.carrier,
      carrierMessageId: event.carrierMessageId,
      createdAt: now,
    });
    if (!stored) return { ignored: 'duplicate', accountId };

    const outcome: InboundOutcome = { accountId, messageId: id };
    const keyword = keywordOf(event.body);
    if (!keyword || !parsedFrom.ok) return outcome;
    outcome.keyword = keyword;
    // Two of our numbers must never answer each other: the keyword is applied, nothing is sent back.
    const platformSender = await isPlatformNumber(em, from);
    if (platformSender) outcome.replyWithheld = 'platform_number';
    const reply = async (text: () => Promise<string>) => {
      if (platformSender) return;
      outcome.replyId = await this.queueReply(em, { accountId, dataKey, from: ourNumber, to: from, hash, keyword, body: await text() });
    };
    const settings = () => this.settings.effective(em, accountId);
    const actor = { accountId, inboundKeyword: true as const };
    await lockRecipient(em, accountId, hash);
    if (keyword === 'help') {
      const answered = await keywordRepliesToday(em, { accountId, sender: ourNumber, recipientHash: hash, keyword });
      if (answered >= HELP_REPLIES_PER_DAY) outcome.replyWithheld ??= 'daily_limit';
      else await reply(async () => (await settings()).helpText);
      return outcome;
    }
    if (keyword === 'stop') {
      const already = (await optedOutHashes(em, accountId, [hash])).size > 0;
      if (!already)
        await this.optOuts.add(em, actor, { phone: from, reason: `inbound ${event.body.trim().toUpperCase()}` }, 'inbound_keyword');
      outcome.optedOut = !already;
      outcome.suppressed = await suppressQueuedTo(em, accountId, hash);
      if (!already) await reply(async () => stopConfirmation((await settings()).companyName));
      return outcome;
    }
    outcome.optedIn = await this.optOuts.removeNumber(em, actor, from, 'inbound START');
    if (outcome.optedIn) await reply(async () => startConfirmation((await settings()).companyName));
    return outcome;
  }

  /**
   * The account holding the number, else its last owner: people keep texting a number after its
   * release, and a STOP sent to it must still opt them out of the account that messaged them.
   */
  private async ownerOf(em: EntityManager, phone: string): Promise<SenderNumber | null> {
    const holder = await em.findOne(SenderNumber, { phoneE164: phone, status: { $in: [...HELD_STATUSES] } });
    return holder ?? (await em.findOne(SenderNumber, { phoneE164: phone, status: 'released' }, { orderBy: { releasedAt: 'desc' } }));
  }

  /** An erased account (data key destroyed) stores nothing more: the carrier is answered 200 so it stops retrying. */
  private async keyOrNull(em: EntityManager, accountId: string): Promise<DataKey | null> {
    try {
      return await this.deps.keyring.keyFor(em, accountId);
    } catch (err) {
      if (!(err instanceof DataKeyDestroyedError)) throw err;
      this.deps.logger.info({ accountId }, 'inbound message for an erased account: ignored');
      return null;
    }
  }

  /** Keyword replies are ordinary outbound messages in the outbox (exempt from the opt-out check). */
  private async queueReply(
    em: EntityManager,
    r: { accountId: string; dataKey: DataKey; from: string; to: string; hash: Buffer; keyword: Keyword; body: string },
  ): Promise<string> {
    const now = new Date();
    const id = uuidv7(now.getTime());
    await insertMessages(em, [
      {
        id,
        accountId: r.accountId,
        direction: 'outbound',
        kind: 'keyword_reply',
        answersKeyword: r.keyword,
        recipientHash: r.hash,
        recipientPii: sealRecipient(r.dataKey, id, r.to),
        sender: r.from,
        body: sealBody(r.dataKey, id, r.body),
        ...analyzeSms(r.body),
        status: 'queued',
        createdAt: now,
      },
    ]);
    return id;
  }
}
