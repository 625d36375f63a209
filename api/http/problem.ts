import { DriverException, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '../../db/connection-errors';
import { isPoolAcquireTimeout } from '../../db/pg-pool';
import { SealedFieldError } from '../../lib/crypto/sealed-field';
import { loggablePath } from '../../lib/logger';
import { closeAfterAnswer } from './lingering-close';
import { AppError, type AppErrorKind, type FieldError } from '../../lib/errors';

const STATUS: Record<AppErrorKind, number> = {
  validation: 422,
  malformed_body: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  request_timeout: 408,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  idempotency_key_reused: 422,
  rate_limited: 429,
  unavailable: 503,
  database_busy: 503,
  data_key_destroyed: 410,
  stored_data_unreadable: 500,
  recipient_opted_out: 422,
  recipient_restricted: 422,
  sender_not_registered: 422,
  opt_out_not_removable: 409,
  spend_cap_reached: 402,
  account_suspended: 402,
};

const TITLE: Record<AppErrorKind, string> = {
  validation: 'Request is invalid',
  malformed_body: 'Request body is malformed',
  payload_too_large: 'Request body is too large',
  unsupported_media_type: 'Unsupported media type',
  request_timeout: 'Request took too long',
  unauthorized: 'Authentication required',
  forbidden: 'Not allowed',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  conflict: 'Conflict',
  idempotency_key_reused: 'Idempotency key reused with a different request',
  rate_limited: 'Too many requests',
  unavailable: 'Service unavailable',
  database_busy: 'Server busy',
  data_key_destroyed: 'Account data erased',
  stored_data_unreadable: 'Stored data failed its integrity check',
  recipient_opted_out: 'Recipient opted out',
  recipient_restricted: 'Recipient restricted',
  sender_not_registered: 'Sender number not registered',
  opt_out_not_removable: 'Opt-out not removable by the account',
  spend_cap_reached: 'Monthly spend cap reached',
  account_suspended: 'Sending suspended for non-payment',
};

export const PROBLEM_TYPE_BASE = 'https://massivesms.dev/problems/';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: FieldError[];
}

export function sendProblem(req: Request, res: Response, err: AppError): void {
  const status = STATUS[err.kind];
  const body: ProblemBody = {
    type: `${PROBLEM_TYPE_BASE}${err.kind}`,
    title: TITLE[err.kind],
    status,
    detail: err.message,
    instance: req.originalUrl.split('?')[0] ?? req.originalUrl,
    ...(err.extras.fields ? { errors: err.extras.fields } : {}),
  };
  if (err.extras.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(err.extras.retryAfterSeconds));
  if (err.kind === 'unauthorized') res.setHeader('WWW-Authenticate', 'Bearer');
  res.status(status).type('application/problem+json').send(JSON.stringify(body));
}

interface ParserError {
  type?: string;
  status?: number;
  errno?: number;
}

/**
 * A unique violation no service turned into its own conflict means the resource already exists:
 * retrying the same request cannot succeed, so the detail does not suggest it. A sealed value that
 * does not open is reported without internals.
 */
function fromStorageError(err: unknown): AppError | undefined {
  if (err instanceof SealedFieldError) {
    return new AppError('stored_data_unreadable', `the stored data of ${err.rowId} failed its integrity check and cannot be read`);
  }
  if (err instanceof UniqueConstraintViolationException) {
    return new AppError('conflict', 'a resource with the same unique value already exists; retrying the same request will not succeed');
  }
  return undefined;
}

/** body-parser (raw-body, zlib) failures: their messages may quote the body, so each gets a fixed detail. */
function fromBodyParserError(err: ParserError): AppError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppError('malformed_body', 'the body is not valid JSON');
    case 'entity.too.large':
      return new AppError('payload_too_large', 'the body exceeds the size limit');
    case 'encoding.unsupported':
      return new AppError('unsupported_media_type', 'the Content-Encoding is not supported (use gzip, deflate, br or none)');
    case 'charset.unsupported':
      return new AppError('unsupported_media_type', 'the body charset is not supported (use utf-8)');
    case 'request.aborted':
      return new AppError('malformed_body', 'the request ended before its body was complete');
    case 'request.size.invalid':
      return new AppError('malformed_body', 'the body length does not match Content-Length');
    default:
      break;
  }
  // raw-body passes zlib's errors (gzip, deflate, br: all carry an errno) on with status 400 and no type.
  if (err.status === 400 && err.type === undefined && typeof err.errno === 'number') {
    return new AppError('malformed_body', 'the body is not valid for its Content-Encoding');
  }
  return undefined;
}

/** Seconds a client is told to wait when no database connection came free in time. */
const DATABASE_BUSY_RETRY_AFTER_SECONDS = 2;

/** Every pool gives up after DATABASE_ACQUIRE_TIMEOUT_MS: the caller is told to come back, never left hanging. */
function fromPoolTimeout(err: unknown): AppError | undefined {
  if (!isPoolAcquireTimeout(err)) return undefined;
  return new AppError('database_busy', 'every database connection of this server is busy; retry after Retry-After seconds', {
    retryAfterSeconds: DATABASE_BUSY_RETRY_AFTER_SECONDS,
    cause: err,
  });
}

/** Seconds a client is told to wait when the database is down or restarting. */
const DATABASE_DOWN_RETRY_AFTER_SECONDS = 5;

/** The database refused or dropped the connection: a retry of the same request may succeed once it is back. */
function fromDatabaseDown(err: unknown): AppError | undefined {
  if (!isDatabaseUnavailable(err)) return undefined;
  return new AppError('unavailable', 'the database is unavailable; retry after Retry-After seconds', {
    retryAfterSeconds: DATABASE_DOWN_RETRY_AFTER_SECONDS,
    cause: err,
  });
}

/** Errors we recognise without an AppError; everything else unknown is a 500 with no internals. */
function fromKnownError(err: ParserError): AppError | undefined {
  return fromStorageError(err) ?? fromPoolTimeout(err) ?? fromDatabaseDown(err) ?? fromBodyParserError(err);
}

/** Driver errors quote the failing SQL with its values (emails, hashes): log only what identifies them. */
function loggableError(err: unknown): unknown {
  if (err instanceof DriverException) return { type: err.name, code: err.code, sqlState: err.sqlState };
  return err;
}

/**
 * A body left unread (refused early, timed out, aborted) is not read to its end, possibly gigabytes
 * of it: the connection closes after the answer instead. (A bodiless request may not be `complete`
 * yet when an error is raised synchronously, hence the header check.)
 */
function hasUnreadBody(req: Request): boolean {
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  return hasBody && !req.complete;
}

export function problemErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (hasUnreadBody(req)) {
      res.setHeader('Connection', 'close');
      closeAfterAnswer(req);
    }
    const known = err instanceof AppError ? err : fromKnownError(err as ParserError);
    if (known) {
      if (known.kind === 'stored_data_unreadable')
        logger.error({ problem: known.message, method: req.method, path: loggablePath(req.path) }, 'stored data unreadable');
      if (known.extras.cause !== undefined) {
        logger.warn({ err: loggableError(known.extras.cause), method: req.method, path: loggablePath(req.path) }, known.message);
      }
      sendProblem(req, res, known);
      return;
    }
    logger.error({ err: loggableError(err), method: req.method, path: loggablePath(req.path) }, 'unhandled error');
    res
      .status(500)
      .type('application/problem+json')
      .send(
        JSON.stringify({
          type: `${PROBLEM_TYPE_BASE}internal`,
          title: 'Internal error',
          status: 500,
          detail: 'something went wrong on our side; it has been logged',
          instance: req.path,
        }),
      );
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `no route for ${req.method} ${req.path}`));
};
