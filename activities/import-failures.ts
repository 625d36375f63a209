import { NotFoundError } from '@mikro-orm/core';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { rowRejectionReason, sqlStateOf } from '../services/imports/row-rejection';
import type { ImportFailureDetails, ImportFailureType } from '../workflows/import-failure-reasons';
import { ChunkPreparationError } from './prepare-pool';

/** An unrecognised error is retried this many times in all; then retrying is taken not to help. */
export const UNEXPECTED_ERROR_ATTEMPTS = 10;

/** A failure retrying cannot help; `cause` may only be an error whose message quotes no values. */
export function importFailure(
  message: string,
  type: ImportFailureType,
  details: ImportFailureDetails = {},
  cause?: Error,
): ApplicationFailure {
  return ApplicationFailure.create({ message, type, nonRetryable: true, details: [details], cause });
}

// SQLSTATE classes that pass: connection (08), transaction rollback — serialization, deadlock (40),
// resources (53), operator intervention — shutdown, cancel (57), lock not available (55P03).
const TRANSIENT_STATE = /^(08|40|53|57)|^55P03$/;
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
// pg's and the preparation pool's own messages for a lost connection or thread (they quote no values).
const TRANSIENT_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Client has encountered a connection error',
  'a chunk-preparation thread exited',
];

function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const state = sqlStateOf(err) ?? (err as { sqlState?: string }).sqlState;
  if (state !== undefined && TRANSIENT_STATE.test(state)) return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  if (err.name === 'ConnectionException') return true;
  return TRANSIENT_MESSAGES.some((m) => err.message.startsWith(m));
}

function failureFor(err: unknown, attempt: number): ApplicationFailure {
  if (err instanceof ApplicationFailure && err.type) return err; // classified where it was thrown
  if (err instanceof NotFoundError) return importFailure('the import does not exist', 'ImportNotFound');
  if (err instanceof ChunkPreparationError) return importFailure('a staged chunk could not be read', 'StagedChunkUnreadable');
  if (rowRejectionReason(err) !== null) return importFailure('the database refused row data', 'RowDataRejected');
  if (isTransient(err)) return ApplicationFailure.retryable('a temporary error interrupted the import', 'TransientError');
  if (attempt < UNEXPECTED_ERROR_ATTEMPTS) {
    return ApplicationFailure.retryable('an unexpected error interrupted the import', 'UnexpectedError');
  }
  return importFailure('an unexpected error kept recurring', 'RetriesExhausted');
}

/**
 * What an import activity throws instead of `err`: a named non-retryable type where retrying
 * cannot help, a retryable failure with a stable message otherwise. Driver text quotes values, so it
 * never leaves: the log gets the error's type and SQLSTATE only.
 */
export function classifyImportError(err: unknown, attempt: number, logger: Logger, activity: string): unknown {
  if (err instanceof CancelledFailure) return err;
  const failure = failureFor(err, attempt);
  const cause: unknown = failure === err && failure.cause ? failure.cause : err;
  logger.warn(
    {
      activity,
      attempt,
      errorType: cause instanceof Error ? cause.name : typeof cause,
      sqlState: sqlStateOf(cause),
      causeType: cause instanceof ChunkPreparationError ? cause.causeType : undefined,
      failureType: failure.type,
    },
    'import activity failed',
  );
  return failure;
}
