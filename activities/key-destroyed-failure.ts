import { ApplicationFailure } from '@temporalio/common';
import { DataKeyDestroyedError } from '../services/keyring';

/**
 * The same activities, except that a destroyed account data key (the account was deleted) fails
 * them for good (`AccountDataKeyDestroyed`): retrying can never open that account's data again.
 */
export function nonRetryableWhenKeyDestroyed<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        if (err instanceof DataKeyDestroyedError) {
          throw ApplicationFailure.nonRetryable('the account data key has been destroyed', 'AccountDataKeyDestroyed');
        }
        throw err;
      }
    };
  }
  return wrapped as T;
}
