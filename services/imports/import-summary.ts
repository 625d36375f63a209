import type { ContactImport, ImportStatus } from '../../db/entities/contact-import';
import { pickImportCounts, type ImportCounts } from '../../workflows/import-counts';

export interface ImportProgress extends ImportCounts {
  status: ImportStatus;
  totalRows: number;
  processedRows: number;
}

export function toImportProgress(imp: ContactImport): ImportProgress {
  return { status: imp.status, totalRows: imp.totalRows, processedRows: imp.processedRows, ...pickImportCounts(imp) };
}
