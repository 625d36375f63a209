import type { Contact } from '../../db/entities/contact';
import type { DataKey } from '../../lib/crypto/sealed-field';
import { openPii } from './contact-pii';

export function toContactView(contact: Contact, dataKey: DataKey, optedOut: boolean) {
  const pii = openPii(dataKey, contact.id, contact.pii);
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
