import { AccountSchema } from './account';
import { AccountDataKeySchema } from './account-data-key';
import { ApiKeySchema } from './api-key';
import { ContactSchema } from './contact';
import { ContactImportSchema } from './contact-import';
import { ContactListSchema, ListMembershipSchema } from './list';
import { OptOutSchema } from './opt-out';
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
  UserSchema,
  WebhookEndpointSchema,
];
