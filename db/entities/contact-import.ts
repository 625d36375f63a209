import { EntitySchema } from '@mikro-orm/core';

export type ImportStatus = 'receiving' | 'queued' | 'running' | 'completed' | 'failed';

export interface ImportMapping {
  phone: string;
  name?: string;
  optInSource?: string;
  optInIp?: string;
  optInAt?: string;
  defaultCountry: string;
}

export class ContactImport {
  id!: string;
  accountId!: string;
  status!: ImportStatus;
  mapping!: ImportMapping;
  totalRows!: number;
  chunkCount!: number;
  processedRows!: number;
  created!: number;
  updated!: number;
  duplicates!: number;
  invalid!: number;
  optedOut!: number;
  failure?: string | null;
  createdAt!: Date;
  updatedAt!: Date;
  completedAt?: Date | null;
}

export const ContactImportSchema = new EntitySchema<ContactImport>({
  class: ContactImport,
  tableName: 'contact_imports',
  properties: {
    id: { type: 'uuid', primary: true },
    accountId: { type: 'uuid' },
    status: { type: 'text' },
    mapping: { type: 'json', columnType: 'jsonb' },
    totalRows: { type: 'integer' },
    chunkCount: { type: 'integer' },
    processedRows: { type: 'integer' },
    created: { type: 'integer' },
    updated: { type: 'integer' },
    duplicates: { type: 'integer' },
    invalid: { type: 'integer' },
    optedOut: { type: 'integer' },
    failure: { type: 'text', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
    updatedAt: { type: 'Date', columnType: 'timestamptz' },
    completedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
});
