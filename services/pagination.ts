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

export function isCursor(cursor: string): boolean {
  return isUuid(Buffer.from(cursor, 'base64url').toString('utf8'));
}

/** Cursors are opaque to clients; inside they are the last UUIDv7 id of the page. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isUuid(id)) throw AppError.invalid('cursor', 'is not a cursor returned by this API');
  return id;
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
