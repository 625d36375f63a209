import type { EntityName, FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../lib/errors';
import { isUuid } from '../lib/ids';

export interface PageRequest {
  limit: number;
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

const cursorId = (cursor: string) => Buffer.from(cursor, 'base64url').toString('utf8');

export function isCursor(cursor: string): boolean {
  return isUuid(cursorId(cursor));
}

/** Cursors are opaque to clients; inside they are the last UUIDv7 id of the page. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  if (!isCursor(cursor)) throw AppError.invalid('cursor', 'is not a cursor returned by this API');
  return cursorId(cursor);
}

export function toPage<R extends { id: string }, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
  const hasMore = rows.length > limit;
  const visible = hasMore ? rows.slice(0, limit) : rows;
  const last = visible[visible.length - 1];
  return {
    data: visible.map(map),
    nextCursor: hasMore && last ? Buffer.from(last.id, 'utf8').toString('base64url') : null,
  };
}

/**
 * One page (plus one row, to know whether more follow) of an account's rows in id order; ids are
 * UUIDv7, so 'desc' is newest first. Pass the rows to toPage.
 */
export function findAccountPage<T extends { id: string; accountId: string }>(
  em: EntityManager,
  entity: EntityName<T>,
  accountId: string,
  page: PageRequest,
  order: 'asc' | 'desc' = 'asc',
): Promise<T[]> {
  const from = decodeCursor(page.cursor);
  const where = { accountId, ...(from ? { id: { [order === 'asc' ? '$gt' : '$lt']: from } } : {}) } as FilterQuery<T>;
  return em.find(entity, where, { orderBy: { id: order } as never, limit: page.limit + 1 });
}
