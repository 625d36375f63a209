import { DispatchStatusEvents } from '../../services/messaging/dispatch-status-events';
import { keysForAccounts } from './account-keys';
import type { MessagingActivityDeps } from './messaging-deps';

/** The send path's customer `message.status` events, sealed with the same per-account keys the sends open fields with. */
export function statusEventsFor(deps: Pick<MessagingActivityDeps, 'orm' | 'keyring'>): DispatchStatusEvents {
  return new DispatchStatusEvents((client, accountIds) => keysForAccounts(deps, accountIds, client));
}
