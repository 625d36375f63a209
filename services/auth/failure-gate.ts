/**
 * Where failed authentications are counted: per client address and per subject (an API-key prefix
 * or a sign-in email). `check` runs before any argon2 verification, so a limited caller gets 429
 * without costing CPU; `charge` runs only when an attempt fails.
 */
export interface FailureGate {
  check(address: string, subject: string | null): void;
  charge(address: string, subject: string | null): void;
}
