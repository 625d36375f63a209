import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../../lib/errors';
import type { AuthLimits } from '../auth/auth-limits';
import type { EmailLinkPurpose, EmailLinkRow, EmailLinks } from './email-links';

/**
 * Uses an emailed link once, under its purpose. An address that sent too many bad tokens is refused
 * first (429), and a refused token is charged to the address, like a bad API key: the 256-bit
 * tokens cannot be guessed, and no one can try.
 */
export async function useEmailLink(
  em: EntityManager,
  deps: { links: EmailLinks; limits: AuthLimits },
  token: string,
  purpose: EmailLinkPurpose,
  address: string,
): Promise<EmailLinkRow> {
  await deps.limits.checkAddress(address);
  try {
    return await deps.links.consume(em, token, purpose);
  } catch (err) {
    if (err instanceof AppError && err.kind === 'unauthorized') await deps.limits.chargeBadToken(address);
    throw err;
  }
}
