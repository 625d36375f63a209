import { checkAttributes, checkIp, checkText, CONTACT_LIMITS, parseTimestamp } from '../../lib/contact-limits';
import type { ImportMapping } from '../../db/entities/contact-import';
import type { StagedRow } from './staged-row';

export type CheckedRow = { ok: true; optInAt: Date | null } | { ok: false; column: string | null; reason: string };

/**
 * Holds a staged row's fields to the contact limits (the API's too), naming the column that breaks
 * one. The phone itself is checked by normalization.
 */
export function checkRowLimits(r: StagedRow, mapping: ImportMapping): CheckedRow {
  const bad = (column: string | undefined | null, reason: string): CheckedRow => ({ ok: false, column: column ?? null, reason });
  const phone = checkText(r.phone, CONTACT_LIMITS.phoneChars);
  if (!phone.ok) return bad(mapping.phone, phone.reason);
  if (r.name !== null) {
    const name = checkText(r.name, CONTACT_LIMITS.nameChars);
    if (!name.ok) return bad(mapping.name, name.reason);
  }
  if (r.optInSource !== null) {
    const source = checkText(r.optInSource, CONTACT_LIMITS.optInSourceChars);
    if (!source.ok) return bad(mapping.optInSource, source.reason);
  }
  if (r.optInIp !== null) {
    const ip = checkIp(r.optInIp);
    if (!ip.ok) return bad(mapping.optInIp, ip.reason);
  }
  const attributes = checkAttributes(r.attributes);
  if (attributes) return bad(attributes.key, attributes.reason);
  if (r.optInAt === null) return { ok: true, optInAt: null };
  const at = parseTimestamp(r.optInAt);
  return at.ok ? { ok: true, optInAt: at.date } : bad(mapping.optInAt, at.reason);
}
