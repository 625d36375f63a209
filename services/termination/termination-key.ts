import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { MasterKeys } from '../../lib/crypto/keys';
import { loadSystemKey } from '../system-keys';

/**
 * The key that signs export and confirmation links and MACs deletion certificates. A system key
 * (stored wrapped by MASTER_KEY), never an account's data key: both must outlive that key's destruction.
 */
export const TERMINATION_KEY = { name: 'termination', version: 1 } as const;

/** Loads it once per process (the first process on a new database creates it). */
export class TerminationKey {
  private key: Promise<Buffer> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly masters: MasterKeys,
  ) {}

  get(): Promise<Buffer> {
    this.key ??= loadSystemKey(this.pool, this.masters, TERMINATION_KEY.name, TERMINATION_KEY.version, () => randomBytes(32)).catch(
      (err: unknown) => {
        this.key = undefined;
        throw err;
      },
    );
    return this.key;
  }
}
