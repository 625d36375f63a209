import { EntitySchema } from '@mikro-orm/core';

export const CAMPAIGN_STATUSES = ['draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export class Campaign {
  id!: string;
  accountId!: string;
  name!: string;
  /** Sealed template text (services/campaigns/campaign-fields.ts). */
  template!: Buffer;
  templateVariables!: string[];
  sender!: string;
  listIds!: string[];
  excludeListIds!: string[];
  startAt?: Date | null;
  ratePerSecond!: number;
  quietStartMinute!: number;
  quietEndMinute!: number;
  status!: CampaignStatus;
  launchedAt?: Date | null;
  finishedAt?: Date | null;
  createdAt!: Date;
  updatedAt!: Date;
}

export const CampaignSchema = new EntitySchema<Campaign>({
  class: Campaign,
  tableName: 'campaigns',
  properties: {
    id: { type: 'uuid', primary: true },
    accountId: { type: 'uuid' },
    name: { type: 'text' },
    template: { type: 'blob', columnType: 'bytea' },
    templateVariables: { type: 'string[]', columnType: 'text[]' },
    sender: { type: 'text' },
    listIds: { type: 'string[]', columnType: 'uuid[]' },
    excludeListIds: { type: 'string[]', columnType: 'uuid[]' },
    startAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    ratePerSecond: { type: 'integer' },
    quietStartMinute: { type: 'smallint' },
    quietEndMinute: { type: 'smallint' },
    status: { type: 'text' },
    launchedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    finishedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
    updatedAt: { type: 'Date', columnType: 'timestamptz' },
  },
});
