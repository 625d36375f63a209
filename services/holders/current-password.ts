import type { EntityManager } from '@mikro-orm/postgresql';
import { dummyArgon2Hash, verifySecret } from '../../lib/crypto/argon2';
import { AppError } from '../../lib/errors';
import type { AuthLimits } from '../auth/auth-limits';

/**
 * A signed-in holder proves their current password before a change to their sign-in (password,
 * email). Wrong guesses are charged like sign-in failures (per address and per (address, holder)),
 * so a stolen session cannot try passwords at leisure; a right one clears the pair's count.
 */
export async function proveCurrentPassword(
  em: EntityManager,
  limits: AuthLimits,
  input: { userId: string; password: string; field: string },
  address: string,
): Promise<void> {
  const subject = `password-change:${input.userId}`;
  await limits.checkSignIn(address, subject);
  const [row] = await em.execute<{ password_hash: string | null }[]>('select password_hash from users where id = ?', [input.userId]);
  const matches = await verifySecret(row?.password_hash ?? (await dummyArgon2Hash()), input.password);
  if (!row?.password_hash || !matches) {
    await limits.chargeSignIn(address, subject);
    // 403, not 422: the request is well formed; the proof failed (as a wrong password at sign-in is 401).
    throw new AppError('forbidden', `${input.field} is not your current password`);
  }
  await limits.signedIn(address, subject);
}
