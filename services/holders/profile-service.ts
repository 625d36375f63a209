import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Pool } from 'pg';
import type { MasterKeys } from '../../lib/crypto/keys';
import { openJson, sealJson } from '../../lib/crypto/sealed-json';
import type { DataKey } from '../../lib/crypto/sealed-field';
import { AppError } from '../../lib/errors';
import { HOLDER_PROFILE_KEY, loadSystemKey } from '../system-keys';

export interface BillingAddress {
  line1: string;
  line2?: string | null;
  city: string;
  postalCode: string;
  region?: string | null;
  country: string;
}

export interface ProfilePatch {
  name?: string | null;
  country?: string | null;
  billingAddress?: BillingAddress | null;
  taxId?: string | null;
}

interface StoredProfile {
  email: string;
  name: string | null;
  country: string | null;
  billing_address_pii: Buffer | null;
  tax_id_pii: Buffer | null;
  updated_at: string | Date | null;
}

const ADDRESS = { purpose: 'holder_profiles.billing_address' };
const TAX_ID = { purpose: 'holder_profiles.tax_id' };

/**
 * The holder's profile (name, country, billing address, tax ID), one row per identity (users.id).
 * The billing address and tax ID are sealed under the holder-profile system key, bound to the
 * identity: an identity spans accounts, so no one account's data key fits, and the row is deleted
 * with the identity. Billing records that must outlive an account (7 years) keep their own copy.
 */
export class ProfileService {
  private key: Promise<Buffer> | null = null;

  constructor(
    private readonly deps: { pgPool: Pool; masters: MasterKeys },
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private async sealingKey(): Promise<DataKey> {
    this.key ??= loadSystemKey(this.deps.pgPool, this.deps.masters, HOLDER_PROFILE_KEY.name, HOLDER_PROFILE_KEY.version, () =>
      randomBytes(32),
    );
    return { accountId: HOLDER_PROFILE_KEY.name, version: HOLDER_PROFILE_KEY.version, key: await this.key };
  }

  async get(em: EntityManager, userId: string) {
    const [row] = await em.execute<StoredProfile[]>(
      `select u.email, p.name, p.country, p.billing_address_pii, p.tax_id_pii, p.updated_at
         from users u left join holder_profiles p on p.user_id = u.id where u.id = ?`,
      [userId],
    );
    if (!row) throw AppError.notFound('holder');
    const key = await this.sealingKey();
    return {
      email: row.email,
      name: row.name,
      country: row.country,
      billingAddress: row.billing_address_pii
        ? openJson<BillingAddress>(key, { ...ADDRESS, rowId: userId }, row.billing_address_pii)
        : null,
      taxId: row.tax_id_pii ? openJson<string>(key, { ...TAX_ID, rowId: userId }, row.tax_id_pii) : null,
      updatedAt: row.updated_at ? new Date(row.updated_at).toISOString() : null,
    };
  }

  /** Changes the fields named (null clears one); the rest stay. */
  async update(em: EntityManager, userId: string, patch: ProfilePatch) {
    const key = await this.sealingKey();
    const sets: string[] = [];
    const values: unknown[] = [];
    const set = (column: string, value: unknown) => {
      sets.push(column);
      values.push(value);
    };
    if (patch.name !== undefined) set('name', patch.name);
    if (patch.country !== undefined) set('country', patch.country);
    if (patch.billingAddress !== undefined) {
      set('billing_address_pii', patch.billingAddress && sealJson(key, { ...ADDRESS, rowId: userId }, patch.billingAddress));
    }
    if (patch.taxId !== undefined) set('tax_id_pii', patch.taxId && sealJson(key, { ...TAX_ID, rowId: userId }, patch.taxId));
    const now = this.clock();
    await em.execute(
      `insert into holder_profiles (user_id, ${sets.join(', ')}, updated_at) values (?, ${sets.map(() => '?').join(', ')}, ?)
       on conflict (user_id) do update set ${sets.map((c) => `${c} = excluded.${c}`).join(', ')}, updated_at = excluded.updated_at`,
      [userId, ...values, now],
    );
    return this.get(em, userId);
  }
}
