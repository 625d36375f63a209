import { open, seal } from './aes-gcm';

/** A JSON value sealed with AES-256-GCM under `key`, bound to its owner (the account id) as AAD. */
export function sealJson(key: Buffer, owner: string, value: unknown): Buffer {
  return seal(key, Buffer.from(JSON.stringify(value)), Buffer.from(owner));
}

export function openJson<T>(key: Buffer, owner: string, sealed: Buffer): T {
  return JSON.parse(open(key, sealed, Buffer.from(owner)).toString('utf8')) as T;
}
