/**
 * Why an import failed, as the named ApplicationFailure types its activities throw. Each is
 * non-retryable: trying again cannot help. Pure, so workflow code imports it.
 */
export const IMPORT_FAILURE_TYPES = [
  'StagedChunkMissing',
  'StagedChunkUnreadable',
  'AccountDataKeyDestroyed',
  'ImportNotFound',
  'RowDataRejected',
  'RetriesExhausted',
] as const;

export type ImportFailureType = (typeof IMPORT_FAILURE_TYPES)[number];

/** What a failure of each type may carry in its details: ids and numbers, never values from the file. */
export interface ImportFailureDetails {
  chunkNo?: number;
}

const REASONS: Record<ImportFailureType, (d: ImportFailureDetails) => string> = {
  StagedChunkMissing: (d) => `staged chunk ${d.chunkNo ?? '?'} is missing: the uploaded rows are gone; upload the file again`,
  StagedChunkUnreadable: (d) => `staged chunk ${d.chunkNo ?? '?'} could not be read; upload the file again`,
  AccountDataKeyDestroyed: () => "the account's data key has been destroyed",
  ImportNotFound: () => 'the import no longer exists',
  RowDataRejected: () => 'the database refused data of this file that could not be set aside as row errors',
  RetriesExhausted: () => 'an unexpected error kept recurring; the import was stopped',
};

const UNKNOWN_REASON = 'the import stopped because of an internal error';

/** The stable, human reason stored on contact_imports.failure: never a driver's or Temporal's own text. */
export function importFailureReason(type: string | null | undefined, details: unknown[] | null | undefined): string {
  const reason = type && (IMPORT_FAILURE_TYPES as readonly string[]).includes(type) ? REASONS[type as ImportFailureType] : undefined;
  if (!reason) return UNKNOWN_REASON;
  const first = details?.[0];
  const d: ImportFailureDetails = typeof first === 'object' && first !== null ? first : {};
  return reason({ chunkNo: typeof d.chunkNo === 'number' ? d.chunkNo : undefined });
}
