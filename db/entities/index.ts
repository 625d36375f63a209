import { AccountSchema } from './account';
import { AccountDataKeySchema } from './account-data-key';
import { AccountMembershipSchema } from './account-membership';
import { ApiKeySchema } from './api-key';
import { CampaignSchema } from './campaign';
import { ContactSchema } from './contact';
import { ContactImportSchema } from './contact-import';
import { ContactListSchema, ListMembershipSchema } from './list';
import { MessageSchema } from './message';
import { MessageAttemptSchema } from './message-attempt';
import { MessagingSettingsSchema } from './messaging-settings';
import { OptOutSchema } from './opt-out';
import { SenderNumberSchema } from './sender-number';
import { UserSchema } from './user';
import { WebhookEndpointSchema } from './webhook-endpoint';

export const entities = [
  AccountSchema,
  AccountDataKeySchema,
  ApiKeySchema,
  ContactSchema,
  ContactImportSchema,
  ContactListSchema,
  ListMembershipSchema,
  OptOutSchema,
  MessageSchema,
  MessageAttemptSchema,
  SenderNumberSchema,
  MessagingSettingsSchema,
  UserSchema,
  WebhookEndpointSchema,
  CampaignSchema,
  AccountMembershipSchema,
];
