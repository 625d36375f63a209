import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';

/**
 * The one place the argon2 cost is set, for passwords and API keys alike (argon2id, the library's
 * defaults written out: 64 MiB, 3 passes, 4 lanes). Every stored hash carries these parameters.
 */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 65_536, timeCost: 3, parallelism: 4 } as const;

/** The PHC prefix every hash made with ARGON2_OPTIONS starts with (the library writes parameters in m, p, t order). */
export const ARGON2_HASH_PREFIX = `$argon2id$v=19$m=${ARGON2_OPTIONS.memoryCost},p=${ARGON2_OPTIONS.parallelism},t=${ARGON2_OPTIONS.timeCost}$`;

export function hashSecret(plain: string): Promise<string> {
  return argon2.hash(plain, ARGON2_OPTIONS);
}

/** Checks a secret against a stored hash; injectable so tests can count how many verifications a path costs. */
export type SecretVerifier = (hash: string, plain: string) => Promise<boolean>;

export const verifySecret: SecretVerifier = (hash, plain) => argon2.verify(hash, plain);

let dummyHash: Promise<string> | undefined;

/**
 * A hash of a random secret nobody knows, with the same parameters as real ones. Failure paths that
 * have no real hash (unknown key prefix, unknown email) verify against it, so they cost what a
 * wrong secret costs and timing does not tell which prefixes or emails exist.
 */
export function dummyArgon2Hash(): Promise<string> {
  dummyHash ??= hashSecret(randomBytes(32).toString('base64url'));
  return dummyHash;
}
