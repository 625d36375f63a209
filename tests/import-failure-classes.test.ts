import { NotFoundError } from '@mikro-orm/core';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { classifyImportError, UNEXPECTED_ERROR_ATTEMPTS } from '../activities/import-failures';
import { createLogger } from '../lib/logger';

/** A pg driver error as node-postgres raises it: the message quotes the value. */
function pgError(code: string): Error {
  return Object.assign(new Error('invalid input syntax for type timestamp: "+1 415 555 0101 Ann"'), { name: 'error', code });
}

function classify(err: unknown, attempt = 1) {
  const lines: string[] = [];
  const logger = createLogger('info', 'test', { write: (l: string) => void lines.push(l) });
  const failure = classifyImportError(err, attempt, logger, 'processImportChunks') as ApplicationFailure;
  return { failure, lines };
}

describe('import activity failures', () => {
  it('a data error is non-retryable RowDataRejected; the log and the failure carry its SQLSTATE, never its text', () => {
    const { failure, lines } = classify(pgError('22008'));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'RowDataRejected', nonRetryable: true, message: 'the database refused row data' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ errorType: 'error', sqlState: '22008', failureType: 'RowDataRejected' });
    expect(lines[0]).not.toContain('415');
  });

  it('transient errors (serialization, deadlock, connection refused) stay retryable at any attempt', () => {
    for (const err of [pgError('40001'), pgError('40P01'), Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })]) {
      expect(classify(err, 1000).failure).toMatchObject({ type: 'TransientError', nonRetryable: false });
    }
  });

  it('an unrecognised error retries a bounded number of attempts, then stops as RetriesExhausted', () => {
    const bug = new TypeError('cannot read properties of undefined');
    expect(classify(bug, UNEXPECTED_ERROR_ATTEMPTS - 1).failure).toMatchObject({ type: 'UnexpectedError', nonRetryable: false });
    expect(classify(bug, UNEXPECTED_ERROR_ATTEMPTS).failure).toMatchObject({ type: 'RetriesExhausted', nonRetryable: true });
  });

  it('a missing import is non-retryable ImportNotFound', () => {
    expect(classify(new NotFoundError('ContactImport not found')).failure).toMatchObject({ type: 'ImportNotFound', nonRetryable: true });
  });
});
