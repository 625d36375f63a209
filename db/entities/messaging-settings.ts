import { EntitySchema } from '@mikro-orm/core';

/** Per-account messaging settings: the name keyword replies are signed with and the HELP answer. */
export class MessagingSettings {
  accountId!: string;
  companyName?: string | null;
  helpText?: string | null;
  updatedAt!: Date;
}

export const MessagingSettingsSchema = new EntitySchema<MessagingSettings>({
  class: MessagingSettings,
  tableName: 'messaging_settings',
  properties: {
    accountId: { type: 'uuid', primary: true },
    companyName: { type: 'text', nullable: true },
    helpText: { type: 'text', nullable: true },
    updatedAt: { type: 'Date', columnType: 'timestamptz' },
  },
});
