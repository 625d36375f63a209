import { EntitySchema } from '@mikro-orm/core';

export class Contact {
  id!: string;
  accountId!: string;
  phoneHash!: Buffer;
  /** Sealed ContactPii (see services/contacts/contact-pii.ts). */
  pii!: Buffer;
  optInSource?: string | null;
  optInAt?: Date | null;
  lastImportId?: string | null;
  createdAt!: Date;
  updatedAt!: Date;
}

export const ContactSchema = new EntitySchema<Contact>({
  class: Contact,
  tableName: 'contacts',
  properties: {
    id: { type: 'uuid', primary: true },
    accountId: { type: 'uuid' },
    phoneHash: { type: 'blob', columnType: 'bytea' },
    pii: { type: 'blob', columnType: 'bytea' },
    optInSource: { type: 'text', nullable: true },
    optInAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    lastImportId: { type: 'uuid', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
    updatedAt: { type: 'Date', columnType: 'timestamptz' },
  },
});
