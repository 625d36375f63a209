import { randomBytes, randomUUID } from 'node:crypto';

export const telnyxMessageId = (): string => randomUUID();
export const twilioMessageSid = (): string => `SM${randomBytes(16).toString('hex')}`;
export const stripeId = (prefix: string): string => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
