import type { ContactImport, ImportStatus } from '../../db/entities/contact-import';

export interface ImportProgress {
  status: ImportStatus;
  totalRows: number;
  processedRows: number;
  created: number;
  updated: number;
  duplicates: number;
  invalid: number;
  optedOut: number;
}

export function toImportProgress(imp: ContactImport): ImportProgress {
  return {
    status: imp.status,
    totalRows: imp.totalRows,
    processedRows: imp.processedRows,
    created: imp.created,
    updated: imp.updated,
    duplicates: imp.duplicates,
    invalid: imp.invalid,
    optedOut: imp.optedOut,
  };
}
