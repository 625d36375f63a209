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

const phoneTaken = (holderId: string) =>
  new AppError(
    'conflict',
    `contact ${holderId} already has this phone number; retrying will not help: change or delete that contact first`,
    {
      fields: [{ field: 'body.phone', reason: `already belongs to contact ${holderId}` }],
    },
  );

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

  /** `GET /v1/contacts?phone=`: the account's contact with that number (by its keyed hash), as a page of at most one. */
  async findByPhone(em: EntityManager, actor: AccountActor, phone: string) {
    const hash = phoneHash(this.deps.keys.phoneHashKey, requireE164(phone, 'phone'));
    const contact = await em.findOne(Contact, { accountId: actor.accountId, phoneHash: hash });
    if (!contact) return { data: [], nextCursor: null };
    const dataKey = await this.deps.keyring.keyFor(em, actor.accountId);
    const optedOut = await optedOutHashes(em, actor.accountId, [contact.phoneHash]);
    return { data: [toContactView(contact, dataKey, optedOut.has(contact.phoneHash.toString('hex')))], nextCursor: null };
  }

  /**
   * A number that another contact of the account has is a 409 naming that contact, checked before
   * the write and again when a concurrent write wins the unique index: retrying cannot help.
   */
  async update(em: EntityManager, actor: AccountActor, id: string, patch: ContactPatch) {
    const newHash = patch.phone !== undefined ? phoneHash(this.deps.keys.phoneHashKey, requireE164(patch.phone)) : undefined;
    try {
      return await this.updateOnce(em, actor, id, patch, newHash);
    } catch (err) {
      if (!(err instanceof UniqueConstraintViolationException) || !newHash) throw err;
      const holder = await this.otherHolder(em.fork(), actor, id, newHash);
      if (holder) throw phoneTaken(holder.id);
      throw err;
    }
  }

  private async updateOnce(em: EntityManager, actor: AccountActor, id: string, patch: ContactPatch, newHash: Buffer | undefined) {
    return em.transactional(async (tem) => {
      const contact = await tem.findOne(Contact, { id, accountId: actor.accountId });
      if (!contact) throw AppError.notFound('contact');
      const dataKey = await this.deps.keyring.keyFor(tem, actor.accountId);
      const pii = openPii(dataKey, contact.id, contact.pii);
      if (patch.phone !== undefined && newHash) {
        // Looked up before the entity changes: a query would otherwise auto-flush the clashing hash.
        const holder = await this.otherHolder(tem, actor, id, newHash);
        if (holder) throw phoneTaken(holder.id);
        pii.phone = requireE164(patch.phone);
        contact.phoneHash = newHash;
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

  private otherHolder(em: EntityManager, actor: AccountActor, id: string, hash: Buffer) {
    return em.findOne(Contact, { accountId: actor.accountId, phoneHash: hash, id: { $ne: id } }, { fields: ['id'] });
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
