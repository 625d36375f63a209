import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Contact } from '../../db/entities/contact';
import { phoneHash } from '../../lib/crypto/phone-hash';
import { AppError } from '../../lib/errors';
import { uuidv7 } from '../../lib/ids';
import { requireE164 } from '../../lib/phone';
import type { AccountActor } from '../actor';
import { auditByKey } from '../audit-log';
import type { ServiceDeps } from '../deps';
import { optedOutHashes } from '../opt-out-lookup';
import { findAccountPage, toPage, type PageRequest } from '../pagination';
import { openPii, sealPii, type AttributeValue } from './contact-pii';
import { toContactView } from './contact-view';

export interface ContactInput {
  phone: string;
  name?: string | null;
  attributes?: Record<string, AttributeValue>;
  optIn?: { source: string; ip?: string | null; at?: string | null };
}

export type ContactPatch = Partial<ContactInput>;

export class ContactsService {
  constructor(private readonly deps: Pick<ServiceDeps, 'keyring' | 'keys'>) {}

  private async view(em: EntityManager, contact: Contact) {
    const dataKey = await this.deps.keyring.keyFor(em, contact.accountId);
    const optedOut = await optedOutHashes(em, contact.accountId, [contact.phoneHash]);
    return toContactView(contact, dataKey, optedOut.size > 0);
  }

  /**
   * Creates the contact, or updates the one with the same number; `created` tells which. Two
   * concurrent creates of one number: the loser's insert hits the unique index and is retried,
   * now as an update.
   */
  async upsert(em: EntityManager, actor: AccountActor, input: ContactInput) {
    try {
      return await this.upsertOnce(em.fork(), actor, input);
    } catch (err) {
      if (!(err instanceof UniqueConstraintViolationException)) throw err;
      return this.upsertOnce(em.fork(), actor, input);
    }
  }

  private async upsertOnce(em: EntityManager, actor: AccountActor, input: ContactInput) {
    const e164 = requireE164(input.phone);
    const hash = phoneHash(this.deps.keys.phoneHashKey, e164);
    return em.transactional(async (tem) => {
      const dataKey = await this.deps.keyring.keyFor(tem, actor.accountId);
      const now = new Date();
      let contact = await tem.findOne(Contact, { accountId: actor.accountId, phoneHash: hash });
      const created = !contact;
      const previous = contact ? openPii(dataKey, contact.id, contact.pii) : null;
      if (!contact) {
        contact = tem.create(Contact, {
          id: uuidv7(now.getTime()),
          accountId: actor.accountId,
          phoneHash: hash,
          pii: Buffer.alloc(0),
          createdAt: now,
          updatedAt: now,
        });
      }
      contact.pii = sealPii(dataKey, contact.id, {
        phone: e164,
        name: input.name !== undefined ? input.name : (previous?.name ?? null),
        attributes: input.attributes ?? previous?.attributes ?? {},
        optInIp: input.optIn ? (input.optIn.ip ?? null) : (previous?.optInIp ?? null),
      });
      if (input.optIn) {
        contact.optInSource = input.optIn.source;
        contact.optInAt = input.optIn.at ? new Date(input.optIn.at) : now;
      }
      contact.updatedAt = now;
      await tem.flush();
      await this.audit(tem, actor, created ? 'contact.created' : 'contact.updated', contact.id);
      return { created, contact: await this.view(tem, contact) };
    });
  }

  async get(em: EntityManager, actor: AccountActor, id: string) {
    const contact = await em.findOne(Contact, { id, accountId: actor.accountId });
    if (!contact) throw AppError.notFound('contact');
    return this.view(em, contact);
  }

  async list(em: EntityManager, actor: AccountActor, page: PageRequest) {
    const rows = await findAccountPage(em, Contact, actor.accountId, page);
    const dataKey = await this.deps.keyring.keyFor(em, actor.accountId);
    const optedOut = await optedOutHashes(
      em,
      actor.accountId,
      rows.map((r) => r.phoneHash),
    );
    return toPage(rows, page.limit, (c) => toContactView(c, dataKey, optedOut.has(c.phoneHash.toString('hex'))));
  }

  async update(em: EntityManager, actor: AccountActor, id: string, patch: ContactPatch) {
    return em.transactional(async (tem) => {
      const contact = await tem.findOne(Contact, { id, accountId: actor.accountId });
      if (!contact) throw AppError.notFound('contact');
      const dataKey = await this.deps.keyring.keyFor(tem, actor.accountId);
      const pii = openPii(dataKey, contact.id, contact.pii);
      if (patch.phone !== undefined) {
        pii.phone = requireE164(patch.phone);
        contact.phoneHash = phoneHash(this.deps.keys.phoneHashKey, pii.phone);
        const clash = await tem.findOne(Contact, { accountId: actor.accountId, phoneHash: contact.phoneHash, id: { $ne: id } });
        if (clash) throw new AppError('conflict', 'another contact already has this phone number');
      }
      if (patch.name !== undefined) pii.name = patch.name;
      if (patch.attributes !== undefined) pii.attributes = patch.attributes;
      if (patch.optIn !== undefined) {
        pii.optInIp = patch.optIn.ip ?? null;
        contact.optInSource = patch.optIn.source;
        contact.optInAt = patch.optIn.at ? new Date(patch.optIn.at) : new Date();
      }
      contact.pii = sealPii(dataKey, contact.id, pii);
      contact.updatedAt = new Date();
      await tem.flush();
      await this.audit(tem, actor, 'contact.updated', contact.id);
      return this.view(tem, contact);
    });
  }

  async remove(em: EntityManager, actor: AccountActor, id: string): Promise<void> {
    await em.transactional(async (tem) => {
      const deleted = await tem.nativeDelete(Contact, { id, accountId: actor.accountId });
      if (deleted === 0) throw AppError.notFound('contact');
      await this.audit(tem, actor, 'contact.deleted', id);
    });
  }

  private audit(em: EntityManager, actor: AccountActor, action: string, contactId: string) {
    return auditByKey(em, actor, action, { type: 'contact', id: contactId });
  }
}
