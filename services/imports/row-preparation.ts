import { uuidv7 } from '../../lib/ids';
import { normalizePhone } from '../../lib/phone';
import type { ImportMapping } from '../../db/entities/contact-import';
import type { ContactPii } from '../contacts/contact-pii';
import { checkRowLimits } from './row-limits';
import type { StagedRow } from './staged-row';

export interface PreparedContact {
  row: number;
  /** The id a new contact is inserted with: its PII is sealed bound to it. */
  id: string;
  phoneHash: Buffer;
  optInSource: string | null;
  optInAt: Date | null;
  /** The row's PII sealed for a new contact with `id`; an existing contact is opened, merged and re-sealed with its own id. */
  sealed: Buffer;
}

export interface RowError {
  row: number;
  column: string | null;
  reason: string;
}

export interface PreparedChunk {
  contacts: PreparedContact[];
  errors: RowError[];
  /** Rows whose number already appeared earlier in this chunk. */
  duplicates: number;
}

/**
 * Validates, normalizes and seals staged rows — the CPU-heavy part, done while the previous chunk
 * commits. The first row with a number wins within the chunk.
 */
export function prepareRows(
  rows: StagedRow[],
  mapping: ImportMapping,
  phoneHash: (e164: string) => Buffer,
  sealPii: (contactId: string, pii: ContactPii) => Buffer,
): PreparedChunk {
  const contacts: PreparedContact[] = [];
  const errors: RowError[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  for (const r of rows) {
    if (r.error) {
      errors.push({ row: r.row, column: r.error.column, reason: r.error.reason });
      continue;
    }
    const checked = checkRowLimits(r, mapping);
    if (!checked.ok) {
      errors.push({ row: r.row, column: checked.column, reason: checked.reason });
      continue;
    }
    const optInAt = checked.optInAt;
    const phone = normalizePhone(r.phone, mapping.defaultCountry);
    if (!phone.ok) {
      errors.push({ row: r.row, column: mapping.phone, reason: phone.reason });
      continue;
    }
    const hash = phoneHash(phone.e164);
    const hex = hash.toString('hex');
    if (seen.has(hex)) {
      duplicates += 1;
      continue;
    }
    seen.add(hex);
    const id = uuidv7();
    contacts.push({
      row: r.row,
      id,
      phoneHash: hash,
      optInSource: r.optInSource,
      optInAt,
      sealed: sealPii(id, { phone: phone.e164, name: r.name, attributes: r.attributes, optInIp: r.optInIp }),
    });
  }
  return { contacts, errors, duplicates };
}
