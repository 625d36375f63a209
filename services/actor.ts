import type { ApiKeyScope } from '../db/entities/api-key';

/** Who is calling: an API key of one account. Every service call is scoped by it. */
export interface AccountActor {
  accountId: string;
  apiKeyId: string;
  scopes: ApiKeyScope[];
}
