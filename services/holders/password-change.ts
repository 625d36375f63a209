import type { EntityManager } from '@mikro-orm/postgresql';
import { hashSecret } from '../../lib/crypto/argon2';
import { appendAudit } from '../audit-log';
import type { AuthLimits } from '../auth/auth-limits';
import { proveCurrentPassword } from './current-password';
import type { HolderActor, HolderSessions } from './holder-sessions';

/**
 * A signed-in holder changes their password by proving the current one (services/holders/current-password.ts).
 * Success ends the holder's other sessions, voids open reset links, and rotates this session: the
 * answer sets a new cookie and the old token is worth nothing.
 */
export class PasswordChange {
  constructor(
    private readonly limits: AuthLimits,
    private readonly sessions: HolderSessions,
  ) {}

  async change(
    em: EntityManager,
    actor: HolderActor,
    input: { currentPassword: string; newPassword: string },
    client: { address: string; userAgent: string | undefined },
  ): Promise<{ token: string }> {
    await proveCurrentPassword(
      em,
      this.limits,
      { userId: actor.userId, password: input.currentPassword, field: 'currentPassword' },
      client.address,
    );
    const passwordHash = await hashSecret(input.newPassword);
    const now = new Date();
    return em.transactional(async (tem) => {
      await tem.execute('update users set password_hash = ? where id = ?', [passwordHash, actor.userId]);
      await tem.execute('delete from sessions where user_id = ? and id <> ?', [actor.userId, actor.sessionId]);
      await tem.execute(
        `update email_links set revoked_at = ? where user_id = ? and purpose = 'password_reset' and used_at is null and revoked_at is null`,
        [now, actor.userId],
      );
      await appendAudit(tem, {
        actorType: 'user',
        actorId: actor.userId,
        accountId: actor.accountId,
        action: 'holder.password_changed',
        targetType: 'user',
        targetId: actor.userId,
      });
      return this.sessions.rotate(tem, actor, client, 'password_changed');
    });
  }
}
