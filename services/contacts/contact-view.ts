import type { Contact } from '../../db/entities/contact';
import { openPii } from './contact-pii';

export function toContactView(contact: Contact, dataKey: Buffer, optedOut: boolean) {
  const pii = openPii(dataKey, contact.accountId, contact.pii);
  return {
    id: contact.id,
    phone: pii.phone,
    name: pii.name,
    attributes: pii.attributes,
    optIn: { source: contact.optInSource ?? null, ip: pii.optInIp, at: contact.optInAt?.toISOString() ?? null },
    optedOut,
    createdAt: contact.createdAt.toISOString(),
    updatedAt: contact.updatedAt.toISOString(),
  };
}

export type ContactView = ReturnType<typeof toContactView>;
