/** Carrier error codes are short numbers; anything else is not let into our records (it could be a phone number). */
const VENDOR_CODE = /^\d{1,6}$/;

export function safeVendorCode(value: unknown): string | undefined {
  const text = typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
  return text !== undefined && VENDOR_CODE.test(text) ? text : undefined;
}
