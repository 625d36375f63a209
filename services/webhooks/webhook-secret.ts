import { randomBytes } from 'node:crypto';
import { openField, sealField, type DataKey, type FieldBinding } from '../../lib/crypto/sealed-field';

/** Standard Webhooks secrets: `whsec_` + base64 of the key bytes. 32 bytes, above the scheme's 24-byte minimum. */
export const WEBHOOK_SECRET_BYTES = 32;
const PREFIX = 'whsec_';

/** webhook_endpoints.secret is bound to its endpoint's id. */
const secretBinding = (endpointId: string): FieldBinding => ({ purpose: 'webhook_endpoints.secret', rowId: endpointId });

export function generateWebhookSecret(): string {
  return `${PREFIX}${randomBytes(WEBHOOK_SECRET_BYTES).toString('base64')}`;
}

export function sealWebhookSecret(dataKey: DataKey, endpointId: string, secret: string): Buffer {
  return sealField(dataKey, secretBinding(endpointId), Buffer.from(secret, 'utf8'));
}

export function openWebhookSecret(dataKey: DataKey, endpointId: string, sealed: Buffer): string {
  return openField(dataKey, secretBinding(endpointId), sealed).toString('utf8');
}
