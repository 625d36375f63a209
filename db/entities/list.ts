import { EntitySchema } from '@mikro-orm/core';

export class ContactList {
  id!: string;
  accountId!: string;
  name!: string;
  createdAt!: Date;
  updatedAt!: Date;
}

export const ContactListSchema = new EntitySchema<ContactList>({
  class: ContactList,
  tableName: 'lists',
  properties: {
    id: { type: 'uuid', primary: true },
    accountId: { type: 'uuid' },
    name: { type: 'text' },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
    updatedAt: { type: 'Date', columnType: 'timestamptz' },
  },
});

export class ListMembership {
  listId!: string;
  contactId!: string;
  accountId!: string;
  createdAt!: Date;
}

export const ListMembershipSchema = new EntitySchema<ListMembership>({
  class: ListMembership,
  tableName: 'list_memberships',
  properties: {
    listId: { type: 'uuid', primary: true },
    contactId: { type: 'uuid', primary: true },
    accountId: { type: 'uuid' },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
  },
});
