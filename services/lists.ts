import type { EntityManager } from '@mikro-orm/postgresql';
import { Contact } from '../db/entities/contact';
import { ContactList, ListMembership } from '../db/entities/list';
import { AppError } from '../lib/errors';
import { uuidv7 } from '../lib/ids';
import type { AccountActor } from './actor';
import { auditByKey } from './audit-log';
import { toContactView } from './contacts/contact-view';
import type { ServiceDeps } from './deps';
import { optedOutHashes } from './opt-out-lookup';
import { decodeCursor, findAccountPage, toPage, type PageRequest } from './pagination';

function toListView(list: ContactList, size?: number) {
  return {
    id: list.id,
    name: list.name,
    ...(size !== undefined ? { size } : {}),
    createdAt: list.createdAt.toISOString(),
    updatedAt: list.updatedAt.toISOString(),
  };
}

export class ListsService {
  constructor(private readonly deps: Pick<ServiceDeps, 'keyring'>) {}

  private async owned(em: EntityManager, actor: AccountActor, id: string): Promise<ContactList> {
    const list = await em.findOne(ContactList, { id, accountId: actor.accountId });
    if (!list) throw AppError.notFound('list');
    return list;
  }

  private audit(em: EntityManager, actor: AccountActor, action: string, listId: string, details?: Record<string, unknown>) {
    return auditByKey(em, actor, action, { type: 'list', id: listId }, details);
  }

  async create(em: EntityManager, actor: AccountActor, name: string) {
    return em.transactional(async (tem) => {
      const now = new Date();
      const list = tem.create(ContactList, { id: uuidv7(now.getTime()), accountId: actor.accountId, name, createdAt: now, updatedAt: now });
      await tem.flush();
      await this.audit(tem, actor, 'list.created', list.id);
      return toListView(list, 0);
    });
  }

  async get(em: EntityManager, actor: AccountActor, id: string) {
    const list = await this.owned(em, actor, id);
    return toListView(list, await em.count(ListMembership, { listId: id }));
  }

  async list(em: EntityManager, actor: AccountActor, page: PageRequest) {
    const rows = await findAccountPage(em, ContactList, actor.accountId, page);
    return toPage(rows, page.limit, (l) => toListView(l));
  }

  async rename(em: EntityManager, actor: AccountActor, id: string, name: string) {
    return em.transactional(async (tem) => {
      const list = await this.owned(tem, actor, id);
      list.name = name;
      list.updatedAt = new Date();
      await tem.flush();
      await this.audit(tem, actor, 'list.renamed', id);
      return toListView(list);
    });
  }

  async remove(em: EntityManager, actor: AccountActor, id: string) {
    await em.transactional(async (tem) => {
      const deleted = await tem.nativeDelete(ContactList, { id, accountId: actor.accountId });
      if (deleted === 0) throw AppError.notFound('list');
      await this.audit(tem, actor, 'list.deleted', id);
    });
  }

  /** Adds contacts of the same account; an id that is not the caller's is reported as not found. */
  async addContacts(em: EntityManager, actor: AccountActor, id: string, contactIds: string[]) {
    return em.transactional(async (tem) => {
      await this.owned(tem, actor, id);
      const unique = [...new Set(contactIds)];
      const found = await tem.find(Contact, { id: { $in: unique }, accountId: actor.accountId }, { fields: ['id'] });
      if (found.length !== unique.length) {
        const known = new Set(found.map((c) => c.id));
        const missing = unique.filter((c) => !known.has(c));
        throw new AppError('validation', 'some contacts do not exist', {
          fields: missing.map((m) => ({ field: 'contactIds', reason: `contact ${m} not found` })),
        });
      }
      const rows = await tem.execute<{ contact_id: string }[]>(
        `insert into list_memberships (list_id, contact_id, account_id, created_at)
         select ?, c, ?, now() from unnest(?::uuid[]) as c
         on conflict do nothing returning contact_id`,
        [id, actor.accountId, `{${unique.join(',')}}`], // a Postgres array literal: knex would spread a JS array
      );
      await this.audit(tem, actor, 'list.contacts_added', id, { added: rows.length });
      return { added: rows.length, alreadyMembers: unique.length - rows.length };
    });
  }

  async removeContact(em: EntityManager, actor: AccountActor, id: string, contactId: string) {
    await em.transactional(async (tem) => {
      await this.owned(tem, actor, id);
      const deleted = await tem.nativeDelete(ListMembership, { listId: id, contactId, accountId: actor.accountId });
      if (deleted === 0) throw AppError.notFound('list member');
      await this.audit(tem, actor, 'list.contact_removed', id, { contactId });
    });
  }

  async members(em: EntityManager, actor: AccountActor, id: string, page: PageRequest) {
    await this.owned(em, actor, id);
    const after = decodeCursor(page.cursor);
    const memberships = await em.find(
      ListMembership,
      { listId: id, ...(after ? { contactId: { $gt: after } } : {}) },
      { orderBy: { contactId: 'asc' }, limit: page.limit + 1 },
    );
    // Page over membership ids (a member's id is its contact's id), then load just those contacts.
    const ids = toPage(
      memberships.map((m) => ({ id: m.contactId })),
      page.limit,
      (m) => m.id,
    );
    const contacts = await em.find(Contact, { id: { $in: ids.data }, accountId: actor.accountId }, { orderBy: { id: 'asc' } });
    const dataKey = await this.deps.keyring.keyFor(em, actor.accountId);
    const optedOut = await optedOutHashes(
      em,
      actor.accountId,
      contacts.map((c) => c.phoneHash),
    );
    return {
      data: contacts.map((c) => toContactView(c, dataKey, optedOut.has(c.phoneHash.toString('hex')))),
      nextCursor: ids.nextCursor,
    };
  }
}
