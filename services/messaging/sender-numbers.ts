import type { EntityManager } from '@mikro-orm/postgresql';
import { SenderNumber } from '../../db/entities/sender-number';
import { AppError } from '../../lib/errors';
import { uuidv7 } from '../../lib/ids';
import { requireE164 } from '../../lib/phone';
import type { AccountActor } from '../actor';
import { auditByKey } from '../audit-log';
import { findAccountPage, toPage, type PageRequest } from '../pagination';

export function toSenderNumberView(n: SenderNumber) {
  return { id: n.id, phone: n.phoneE164, label: n.label ?? null, createdAt: n.createdAt.toISOString() };
}

/**
 * The numbers an account sends from. A number belongs to one account at a time (inbound is routed by
 * it), so registering a number another account holds is a conflict. Our own numbers are business
 * identifiers, not recipient PII: they are stored in clear.
 */
export class SenderNumbersService {
  async register(em: EntityManager, actor: AccountActor, input: { phone: string; label?: string | undefined }) {
    const phone = requireE164(input.phone);
    return em.transactional(async (tem) => {
      const existing = await tem.findOne(SenderNumber, { phoneE164: phone });
      if (existing) {
        if (existing.accountId === actor.accountId) return { created: false, number: toSenderNumberView(existing) };
        throw new AppError('conflict', 'this number is registered to another account');
      }
      const now = new Date();
      const number = tem.create(SenderNumber, {
        id: uuidv7(now.getTime()),
        accountId: actor.accountId,
        phoneE164: phone,
        label: input.label ?? null,
        createdAt: now,
      });
      await tem.flush();
      await auditByKey(tem, actor, 'sender_number.registered', { type: 'sender_number', id: number.id });
      return { created: true, number: toSenderNumberView(number) };
    });
  }

  async get(em: EntityManager, actor: AccountActor, id: string) {
    const number = await em.findOne(SenderNumber, { id, accountId: actor.accountId });
    if (!number) throw AppError.notFound('sender number');
    return toSenderNumberView(number);
  }

  async list(em: EntityManager, actor: AccountActor, page: PageRequest) {
    const rows = await findAccountPage(em, SenderNumber, actor.accountId, page);
    return toPage(rows, page.limit, toSenderNumberView);
  }

  /** Messages already queued from the number still go out; new ones from it are refused. */
  async remove(em: EntityManager, actor: AccountActor, id: string) {
    await em.transactional(async (tem) => {
      const deleted = await tem.nativeDelete(SenderNumber, { id, accountId: actor.accountId });
      if (deleted === 0) throw AppError.notFound('sender number');
      await auditByKey(tem, actor, 'sender_number.removed', { type: 'sender_number', id });
    });
  }
}
