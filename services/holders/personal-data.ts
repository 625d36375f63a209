import type { EntityManager } from '@mikro-orm/postgresql';
import type { ConsentsService } from './consents-service';
import type { ProfileService } from './profile-service';

/** Far more than anyone signs in within the audit log's 7 years at a human pace; the export stops there. */
const SIGN_INS_EXPORTED = 10_000;

/**
 * GET /v1/account/personal-data: what we (as controller) hold about the holder themself, as JSON:
 * profile, accounts and roles, live sessions, consents with their whole record, sign-in history
 * (from the audit log), linked Google sign-in, and billing display data (none is kept yet: billing is Stripe's).
 */
export async function holderPersonalData(em: EntityManager, userId: string, profiles: ProfileService, consents: ConsentsService) {
  const memberships = await em.execute<{ account_id: string; role: string; created_at: Date; name: string }[]>(
    `select m.account_id, m.role, m.created_at, a.name from account_memberships m join accounts a on a.id = m.account_id
      where m.user_id = ? order by m.created_at, m.account_id`,
    [userId],
  );
  const sessions = await em.execute<{ id: string; account_id: string; created_at: Date; expires_at: Date }[]>(
    `select id, account_id, created_at, expires_at from sessions where user_id = ? and expires_at > ? order by created_at, id`,
    [userId, new Date()],
  );
  const signIns = await em.execute<{ at: Date; account_id: string | null; target_id: string | null }[]>(
    `select at, account_id, target_id from audit_log where actor_type = 'user' and actor_id = ? and action = 'session.created'
      order by seq desc limit ?`,
    [userId, SIGN_INS_EXPORTED],
  );
  const googleIdentities = await em.execute<{ issuer: string; subject: string; created_at: Date; last_sign_in_at: Date | null }[]>(
    'select issuer, subject, created_at, last_sign_in_at from holder_oidc_identities where user_id = ? order by created_at',
    [userId],
  );
  return {
    exportedAt: new Date().toISOString(),
    profile: await profiles.get(em, userId),
    accounts: memberships.map((m) => ({
      accountId: m.account_id,
      accountName: m.name,
      role: m.role,
      since: new Date(m.created_at).toISOString(),
    })),
    sessions: sessions.map((s) => ({
      id: s.id,
      accountId: s.account_id,
      createdAt: new Date(s.created_at).toISOString(),
      expiresAt: new Date(s.expires_at).toISOString(),
    })),
    consents: { current: (await consents.current(em, userId)).data, history: await consents.history(em, userId) },
    signInHistory: signIns.map((s) => ({ at: new Date(s.at).toISOString(), accountId: s.account_id, sessionId: s.target_id })),
    linkedSignIns: googleIdentities.map((g) => ({
      provider: 'google' as const,
      issuer: g.issuer,
      subject: g.subject,
      linkedAt: new Date(g.created_at).toISOString(),
      lastSignInAt: g.last_sign_in_at ? new Date(g.last_sign_in_at).toISOString() : null,
    })),
    billing: null,
  };
}
