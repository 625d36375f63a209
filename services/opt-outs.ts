import type { EntityManager } from '@mikro-orm/postgresql';
import { OptOut } from '../db/entities/opt-out';
import { openField, sealField, type DataKey, type FieldBinding } from '../lib/crypto/sealed-field';
import { phoneHash } from '../lib/crypto/phone-hash';
import { AppError } from '../lib/errors';
import { uuidv7 } from '../lib/ids';
import { requireE164 } from '../lib/phone';
import type { AccountActor } from './actor';
import { appendAudit, auditByKey } from './audit-log';
import type { ServiceDeps } from './deps';
import { findAccountPage, toPage, type PageRequest } from './pagination';

/** opt_outs.phone_pii is bound to its opt-out's id. */
const optOutPhoneBinding = (optOutId: string): FieldBinding => ({ purpose: 'opt_outs.phone_pii', rowId: optOutId });

export type OptOutSource = 'api' | 'inbound_keyword' | 'staff';

/** A recipient's own STOP/START keyword, applied by the inbound webhook: no API key is involved. */
export interface InboundKeywordActor {
  accountId: string;
  inboundKeyword: true;
}

export type OptOutActor = AccountActor | InboundKeywordActor;

function auditOptOut(em: EntityManager, actor: OptOutActor, action: string, id: string, details: Record<string, unknown>) {
  if ('inboundKeyword' in actor) {
    return appendAudit(em, {
      actorType: 'system',
      actorId: 'inbound_keyword',
      accountId: actor.accountId,
      action,
      targetType: 'opt_out',
      targetId: id,
      details,
    });
  }
  return auditByKey(em, actor, action, { type: 'opt_out', id }, details);
}

const CUSTOMER_REMOVABLE_SOURCE: OptOutSource = 'api';

function notRemovable(source: string): AppError {
  const who =
    source === 'inbound_keyword'
      ? 'the recipient opted out by replying STOP: only the recipient can opt in again, by replying START'
      : 'this opt-out records a data subject request or a staff decision: only MassiveSMS staff can lift it';
  return new AppError('opt_out_not_removable', who);
}

export class OptOutsService {
  constructor(private readonly deps: Pick<ServiceDeps, 'keyring' | 'keys'>) {}

  private view(optOut: OptOut, dataKey: DataKey | null) {
    const phone = optOut.phonePii && dataKey ? openField(dataKey, optOutPhoneBinding(optOut.id), optOut.phonePii).toString() : null;
    return { id: optOut.id, phone, source: optOut.source, reason: optOut.reason ?? null, createdAt: optOut.createdAt.toISOString() };
  }

  /** Opting out twice is not an error: the first record (and its time) is kept. */
  async add(em: EntityManager, actor: OptOutActor, input: { phone: string; reason?: string }, source: OptOutSource = 'api') {
    const e164 = requireE164(input.phone);
    const hash = phoneHash(this.deps.keys.phoneHashKey, e164);
    return em.transactional(async (tem) => {
      const dataKey = await this.deps.keyring.keyFor(tem, actor.accountId);
      const existing = await tem.findOne(OptOut, { accountId: actor.accountId, phoneHash: hash });
      if (existing) return { created: false, optOut: this.view(existing, dataKey) };
      const now = new Date();
      const id = uuidv7(now.getTime());
      const optOut = tem.create(OptOut, {
        id,
        accountId: actor.accountId,
        phoneHash: hash,
        phonePii: sealField(dataKey, optOutPhoneBinding(id), Buffer.from(e164)),
        source,
        reason: input.reason ?? null,
        createdAt: now,
      });
      await tem.flush();
      await auditOptOut(tem, actor, 'opt_out.added', optOut.id, { source });
      return { created: true, optOut: this.view(optOut, dataKey) };
    });
  }

  async get(em: EntityManager, actor: AccountActor, id: string) {
    const optOut = await em.findOne(OptOut, { id, accountId: actor.accountId });
    if (!optOut) throw AppError.notFound('opt-out');
    return this.view(optOut, await this.deps.keyring.keyFor(em, actor.accountId));
  }

  /**
   * The account's opt-out of one number, found by its keyed hash (the number itself is stored only
   * sealed): a page of it alone, or an empty page.
   */
  async findByPhone(em: EntityManager, actor: AccountActor, phone: string) {
    const hash = phoneHash(this.deps.keys.phoneHashKey, requireE164(phone, 'phone'));
    const optOut = await em.findOne(OptOut, { accountId: actor.accountId, phoneHash: hash });
    if (!optOut) return { data: [], nextCursor: null };
    return { data: [this.view(optOut, await this.deps.keyring.keyFor(em, actor.accountId))], nextCursor: null };
  }

  async list(em: EntityManager, actor: AccountActor, page: PageRequest) {
    const rows = await findAccountPage(em, OptOut, actor.accountId, page);
    const dataKey = await this.deps.keyring.keyFor(em, actor.accountId);
    return toPage(rows, page.limit, (o) => this.view(o, dataKey));
  }

  /**
   * Removing an opt-out re-permits sending, so it needs a reason, and the reason is audited. Only
   * the account's own (source api) opt-outs are its to remove: a recipient's STOP is lifted by that
   * recipient's START, a data subject's objection by staff.
   */
  async remove(em: EntityManager, actor: AccountActor, id: string, reason: string) {
    await em.transactional(async (tem) => {
      const deleted = await tem.nativeDelete(OptOut, { id, accountId: actor.accountId, source: CUSTOMER_REMOVABLE_SOURCE });
      if (deleted === 0) {
        const kept = await tem.findOne(OptOut, { id, accountId: actor.accountId }, { fields: ['source'] });
        if (!kept) throw AppError.notFound('opt-out');
        throw notRemovable(kept.source);
      }
      await auditOptOut(tem, actor, 'opt_out.removed', id, { reason });
    });
  }

  /** Removes the account's opt-out of a number, if there is one (inbound START); audited with its reason. */
  async removeNumber(em: EntityManager, actor: OptOutActor, e164: string, reason: string): Promise<boolean> {
    const hash = phoneHash(this.deps.keys.phoneHashKey, e164);
    return em.transactional(async (tem) => {
      const optOut = await tem.findOne(OptOut, { accountId: actor.accountId, phoneHash: hash }, { fields: ['id'] });
      if (!optOut) return false;
      await tem.nativeDelete(OptOut, { id: optOut.id, accountId: actor.accountId });
      await auditOptOut(tem, actor, 'opt_out.removed', optOut.id, { reason });
      return true;
    });
  }
}
