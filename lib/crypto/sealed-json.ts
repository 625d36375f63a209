import { openField, sealField, type DataKey, type FieldBinding } from './sealed-field';

/** A JSON value sealed under the account's data key, bound to the row it is stored in (see sealed-field.ts). */
export function sealJson(dataKey: DataKey, binding: FieldBinding, value: unknown): Buffer {
  return sealField(dataKey, binding, Buffer.from(JSON.stringify(value)));
}

export function openJson<T>(dataKey: DataKey, binding: FieldBinding, sealed: Buffer): T {
  return JSON.parse(openField(dataKey, binding, sealed).toString('utf8')) as T;
}
