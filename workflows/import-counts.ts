/** What an import reports per chunk and in total. Pure, so workflow code can add them up too. */
export interface ImportCounts {
  created: number;
  updated: number;
  duplicates: number;
  invalid: number;
  optedOut: number;
}

export const NO_IMPORT_COUNTS: ImportCounts = { created: 0, updated: 0, duplicates: 0, invalid: 0, optedOut: 0 };

export function pickImportCounts(from: ImportCounts): ImportCounts {
  return { created: from.created, updated: from.updated, duplicates: from.duplicates, invalid: from.invalid, optedOut: from.optedOut };
}

export function addImportCounts(a: ImportCounts, b: ImportCounts): ImportCounts {
  return {
    created: a.created + b.created,
    updated: a.updated + b.updated,
    duplicates: a.duplicates + b.duplicates,
    invalid: a.invalid + b.invalid,
    optedOut: a.optedOut + b.optedOut,
  };
}
