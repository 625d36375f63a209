import { isUuid } from '../../lib/ids';

/** An event id is `evt_` + the event's uuidv7; the uuid is what the tables store. It is the Standard Webhooks `webhook-id`. */
const PREFIX = 'evt_';

export const eventIdOf = (uuid: string): string => `${PREFIX}${uuid}`;

export function eventUuidOf(eventId: string): string | null {
  if (!eventId.startsWith(PREFIX)) return null;
  const uuid = eventId.slice(PREFIX.length);
  return isUuid(uuid) ? uuid : null;
}
