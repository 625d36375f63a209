import type { ApiKeyScope } from '../db/entities/api-key';
import type { HolderActor } from './holders/holder-sessions';
import type { StaffRole } from './staff/staff-roles';

/**
 * Who is calling: an API key of one account, or its holder through the session cookie (then
 * `apiKeyId` is the session's id, `scopes` come from the membership role, and `holder` says who).
 * Every service call is scoped by it.
 */
export interface AccountActor {
  accountId: string;
  apiKeyId: string;
  scopes: ApiKeyScope[];
  holder?: HolderActor;
}

/** An account holder signed in with email and password (POST /v1/sessions): may only manage API keys. */
export interface SessionActor {
  accountId: string;
  userId: string;
  sessionId: string;
}

/** Who may manage an account's API keys: an admin key, or the account holder through a session. */
export type KeyManager = AccountActor | SessionActor;

export const isSessionActor = (actor: KeyManager): actor is SessionActor => 'sessionId' in actor;

/** A staff member signed in with password and TOTP (POST /staff/v1/sessions): reaches /staff/v1/* only, by role. */
export interface StaffActor {
  staffUserId: string;
  role: StaffRole;
  staffSessionId: string;
}
