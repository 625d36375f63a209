import type { ImportMapping } from '../../db/entities/contact-import';
import { NUL_REASON } from '../../lib/contact-limits';
import { AppError } from '../../lib/errors';

export interface ColumnOverrides {
  phone?: string;
  name?: string;
  optInSource?: string;
  optInIp?: string;
  optInAt?: string;
  defaultCountry?: string;
}

const DEFAULT_NAMES: Record<keyof Omit<ImportMapping, 'defaultCountry'>, string[]> = {
  phone: ['phone', 'phone_number', 'phonenumber', 'mobile', 'number', 'msisdn'],
  name: ['name', 'full_name', 'fullname'],
  optInSource: ['opt_in_source', 'optin_source', 'consent_source'],
  optInIp: ['opt_in_ip', 'optin_ip', 'consent_ip'],
  optInAt: ['opt_in_at', 'optin_at', 'opt_in_timestamp', 'consent_at'],
};

const normalizeHeader = (h: string) =>
  h
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');

/** Header names as a client may see them again: printable text only, shortened; binary is never echoed. */
function quoteHeader(names: string[]): string | undefined {
  const shown = names.slice(0, 20).map((n) => (n.length > 40 ? `${n.slice(0, 40)}…` : n));
  if (shown.some((n) => /[\p{C}\uFFFD]/u.test(n))) return undefined;
  return shown.join(', ') + (names.length > shown.length ? `, … (${names.length} columns)` : '');
}

export interface ResolvedColumns {
  mapping: ImportMapping;
  /** Column index of each mapped field; every other column becomes an attribute named by its header. */
  index: { phone: number; name: number; optInSource: number; optInIp: number; optInAt: number };
  attributeColumns: { index: number; name: string }[];
}

/** Matches the header row against explicit overrides first, then well-known names. */
export function resolveColumns(header: string[], overrides: ColumnOverrides): ResolvedColumns {
  // The mapping is stored as jsonb and column names in row errors as text: neither holds U+0000.
  if (header.some((h) => h.includes('\0'))) throw AppError.invalid('header', `a column name ${NUL_REASON}`);
  const normalized = header.map(normalizeHeader);
  const find = (field: keyof typeof DEFAULT_NAMES): number => {
    const explicit = overrides[field];
    if (explicit !== undefined) {
      const at = header.findIndex((h) => h.trim() === explicit.trim());
      const fallback = at >= 0 ? at : normalized.indexOf(normalizeHeader(explicit));
      if (fallback < 0) throw AppError.invalid(`columns.${field}`, `the file has no column named "${explicit}"`);
      return fallback;
    }
    return normalized.findIndex((h) => DEFAULT_NAMES[field].includes(h));
  };
  const index = {
    phone: find('phone'),
    name: find('name'),
    optInSource: find('optInSource'),
    optInIp: find('optInIp'),
    optInAt: find('optInAt'),
  };
  if (index.phone < 0) {
    throw AppError.invalid(
      'columns.phone',
      `no phone column found; name it with the phone_column parameter (header: ${quoteHeader(header) ?? 'not readable text'})`,
    );
  }
  const duplicateHeader = normalized.find((h, i) => normalized.indexOf(h) !== i);
  if (duplicateHeader !== undefined) {
    const name = quoteHeader([duplicateHeader]);
    throw AppError.invalid('header', name === undefined ? 'a column name appears twice' : `column "${name}" appears twice`);
  }
  const mapped = new Set(Object.values(index).filter((i) => i >= 0));
  const at = (i: number) => (i >= 0 ? header[i]!.trim() : undefined);
  return {
    mapping: {
      phone: at(index.phone)!,
      name: at(index.name),
      optInSource: at(index.optInSource),
      optInIp: at(index.optInIp),
      optInAt: at(index.optInAt),
      defaultCountry: overrides.defaultCountry ?? 'US',
    },
    index,
    attributeColumns: header.map((name, i) => ({ index: i, name: name.trim() })).filter((c) => !mapped.has(c.index) && c.name !== ''),
  };
}
