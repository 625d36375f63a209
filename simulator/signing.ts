import { createHmac, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';

/** PKCS#8 DER header of an Ed25519 private key; the 32-byte seed follows it. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface TelnyxSigner {
  /** Base64 of the raw 32-byte public key, as Telnyx shows it in the portal. */
  publicKey: string;
  headers(body: string, now?: Date): Record<string, string>;
}

export function telnyxSigner(seedBase64: string): TelnyxSigner {
  const seed = Buffer.from(seedBase64, 'base64');
  if (seed.length !== 32) throw new Error('SIM_TELNYX_SIGNING_SEED must be 32 bytes of base64');
  const privateKey: KeyObject = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
  return {
    publicKey,
    headers(body, now = new Date()) {
      const timestamp = String(Math.floor(now.getTime() / 1000));
      const signature = sign(null, Buffer.from(`${timestamp}|${body}`), privateKey).toString('base64');
      return { 'telnyx-signature-ed25519': signature, 'telnyx-timestamp': timestamp };
    },
  };
}

/** X-Twilio-Signature: base64 HMAC-SHA1 of the URL followed by each sorted param name and value. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/** Stripe-Signature: `t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<payload>")>`. */
export function stripeSignature(secret: string, payload: string, now = new Date()): string {
  const timestamp = Math.floor(now.getTime() / 1000);
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}
