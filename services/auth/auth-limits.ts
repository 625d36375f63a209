import type { Pool } from 'pg';
import { clientLimitKey } from '../../lib/net/client-address';
import { SharedBudget } from './shared-budget';

/** Failed sign-ins of one subject (an email) from one address: a short block of that pair only, never of the owner elsewhere. */
export const ADDRESS_SUBJECT_FAILURES = { points: 5, durationSeconds: 15 * 60 } as const;
/** Failed sign-ins of one subject from every address: never refused (that would lock the owner out); crossing it alerts security staff. */
export const SUBJECT_FAILURES_ALERT = { points: 20, durationSeconds: 60 * 60 } as const;
/** Wrong TOTP codes after a correct password, per staff user: refused past this, and security staff are alerted. */
export const TOTP_FAILURES = { points: 5, durationSeconds: 15 * 60 } as const;

export interface AuthLimitSettings {
  /** AUTH_FAILURES_PER_MINUTE: failed sign-ins and bad tokens per client address. */
  failuresPerMinute: number;
  /** API_KEY_CREATIONS_PER_HOUR: new API keys per account. */
  keyCreationsPerHour: number;
}

/**
 * Every authentication budget, in the shared store. The rule throughout: a stranger's failures
 * cost the stranger's address (and that address's tries at one subject), never the owner's
 * correct credentials from another address. Clients are keyed by IPv4 address or IPv6 /64.
 */
export class AuthLimits {
  private readonly byAddress: SharedBudget;
  private readonly byAddressAndSubject: SharedBudget;
  private readonly bySubject: SharedBudget;
  private readonly totpByUser: SharedBudget;
  private readonly keyCreations: SharedBudget;

  constructor(pool: Pool, digestKey: Buffer, settings: AuthLimitSettings) {
    const budget = (name: string, points: number, durationSeconds: number, counted: string) =>
      new SharedBudget(pool, digestKey, { name, points, durationSeconds, counted });
    this.byAddress = budget('auth_fail_addr', settings.failuresPerMinute, 60, 'failed authentications');
    this.byAddressAndSubject = budget(
      'auth_fail_addr_subj',
      ADDRESS_SUBJECT_FAILURES.points,
      ADDRESS_SUBJECT_FAILURES.durationSeconds,
      'failed sign-ins to one account from one address',
    );
    this.bySubject = budget('auth_fail_subj', SUBJECT_FAILURES_ALERT.points, SUBJECT_FAILURES_ALERT.durationSeconds, 'failed sign-ins');
    this.totpByUser = budget('auth_fail_totp', TOTP_FAILURES.points, TOTP_FAILURES.durationSeconds, 'wrong codes for this staff user');
    this.keyCreations = budget('api_key_create', settings.keyCreationsPerHour, 60 * 60, 'new API keys for this account');
  }

  /** Before a sign-in's argon2 verification: 429 for an address, or an address at this subject, that failed too often. */
  async checkSignIn(address: string, subject: string): Promise<void> {
    const client = clientLimitKey(address);
    await this.byAddress.check(client);
    await this.byAddressAndSubject.check(`${client}\n${subject}`);
  }

  /** A failed sign-in; true when the subject's failures from every address just reached the alert threshold. */
  async chargeSignIn(address: string, subject: string): Promise<boolean> {
    const client = clientLimitKey(address);
    const [, , bySubject] = await Promise.all([
      this.byAddress.charge(client),
      this.byAddressAndSubject.charge(`${client}\n${subject}`),
      this.bySubject.charge(subject),
    ]);
    return bySubject === SUBJECT_FAILURES_ALERT.points;
  }

  /** A correct sign-in clears this address's failures at the subject (the owner's own typos do not pile up). */
  async signedIn(address: string, subject: string): Promise<void> {
    await this.byAddressAndSubject.forget(`${clientLimitKey(address)}\n${subject}`);
  }

  /** Before work that costs CPU (a legacy argon2 key): 429 for an address that failed too often. */
  async checkAddress(address: string): Promise<void> {
    await this.byAddress.check(clientLimitKey(address));
  }

  /** A bad token (only ever after the lookup that would have accepted a valid one): 429 once the address's budget is spent. */
  async chargeBadToken(address: string): Promise<void> {
    await this.byAddress.take(clientLimitKey(address));
  }

  async checkTotp(staffUserId: string): Promise<void> {
    await this.totpByUser.check(staffUserId);
  }

  /** A wrong code after a correct password; true when the user's wrong codes just reached the limit (alert once). */
  async chargeTotp(staffUserId: string): Promise<boolean> {
    return (await this.totpByUser.charge(staffUserId)) === TOTP_FAILURES.points;
  }

  /** One new API key for the account, or 429 once the hour's budget is spent. */
  async takeKeyCreation(accountId: string): Promise<void> {
    await this.keyCreations.take(accountId);
  }
}
