import type { PoolClient } from 'pg';
import type { DataKey } from '../../lib/crypto/sealed-field';
import type { MessageStatus } from '../../providers/sms/carrier';
import { sealCustomerEvent } from '../webhooks/customer-events';
import { WebhookDeliveryStore, type NewAccountEvent } from '../webhooks/webhook-delivery-store';
import { accountsOfMessages, lockStatuses, messageFactsOf } from './message-event-store';
import { isAnnouncedChange, messageStatusData } from './message-events';

type PgClient = Pick<PoolClient, 'query'>;

/** A message the send path is about to change, and the account it belongs to. */
export interface WatchedMessage {
  id: string;
  accountId: string;
}

/** Taken before a batch's status writes; `publish` after them, in the same transaction. */
export interface StatusWatch {
  publish(client: PgClient): Promise<void>;
}

const NOTHING_WATCHED: StatusWatch = { publish: () => Promise.resolve() };

/**
 * The accounts' data keys; null for a destroyed one (an erased account is told nothing). Read on the
 * write's own connection: it holds row locks, so it must not wait for another pool's connection.
 */
export type AccountKeys = (client: PgClient, accountIds: string[]) => Promise<Map<string, DataKey | null>>;

const deliveries = new WebhookDeliveryStore();

/**
 * `message.status` events for the send path's own status writes (sent, failed, suppressed), published
 * set-based inside the transaction of the write, so an event exists exactly when its change commits.
 * The send path must stay fast: for a batch whose accounts have no active endpoint subscribed to
 * `message.status` this costs exactly one indexed query (`subscribedAccounts`). Only the subscribed
 * accounts' messages are then locked, re-read after the write, sealed one event each under their
 * account's key (the same envelope as every customer event) and inserted in one statement; the
 * delivery workflow picks the rows up like any other (it polls for due deliveries).
 */
export class DispatchStatusEvents {
  constructor(private readonly keysFor: AccountKeys) {}

  /**
   * Before a write that may change these messages' statuses from what they are now: one query finds
   * the subscribed accounts; their messages are locked and their statuses kept for the comparison.
   */
  async watch(client: PgClient, messages: WatchedMessage[]): Promise<StatusWatch> {
    const watched = await this.subscribed(client, messages);
    if (watched.length === 0) return NOTHING_WATCHED;
    const before = await lockStatuses(
      client,
      watched.map((m) => m.id),
    );
    return {
      publish: (c) =>
        this.publishChanges(
          c,
          [...before].map(([id, previousStatus]) => ({ id, previousStatus })),
        ),
    };
  }

  /** `watch` for a rare write that knows only message ids: their accounts are read first. */
  async watchIds(client: PgClient, messageIds: string[]): Promise<StatusWatch> {
    if (messageIds.length === 0) return NOTHING_WATCHED;
    return this.watch(client, await accountsOfMessages(client, messageIds));
  }

  /** After a write whose previous status the caller knows (it held the rows locked in that status). */
  async changedFrom(client: PgClient, messages: WatchedMessage[], previousStatus: MessageStatus): Promise<void> {
    const watched = await this.subscribed(client, messages);
    if (watched.length > 0)
      await this.publishChanges(
        client,
        watched.map((m) => ({ id: m.id, previousStatus })),
      );
  }

  private async subscribed(client: PgClient, messages: WatchedMessage[]): Promise<WatchedMessage[]> {
    if (messages.length === 0) return [];
    const accounts = await deliveries.subscribedAccounts(client, [...new Set(messages.map((m) => m.accountId))], 'message.status');
    if (accounts.size === 0) return [];
    // A message can stand in a batch twice (an earlier attempt and a new one): watched once.
    const watched = new Map<string, WatchedMessage>();
    for (const m of messages) if (accounts.has(m.accountId)) watched.set(m.id, m);
    return [...watched.values()];
  }

  private async publishChanges(client: PgClient, changes: { id: string; previousStatus: MessageStatus }[]): Promise<void> {
    const facts = await messageFactsOf(
      client,
      changes.map((c) => c.id),
    );
    const changed = changes.flatMap((c) => {
      const fact = facts.get(c.id);
      return fact && isAnnouncedChange(c.previousStatus, fact.status) ? [{ fact, previousStatus: c.previousStatus }] : [];
    });
    if (changed.length === 0) return;
    const keys = await this.keysFor(client, [...new Set(changed.map((c) => c.fact.accountId))]);
    const now = new Date();
    const events: NewAccountEvent[] = [];
    for (const { fact, previousStatus } of changed) {
      const dataKey = keys.get(fact.accountId);
      if (!dataKey) continue;
      const data = messageStatusData(fact, { status: fact.status, previousStatus });
      events.push({ accountId: fact.accountId, ...sealCustomerEvent(dataKey, 'message.status', data, now) });
    }
    await deliveries.insertAccountEvents(client, 'message.status', events, now);
  }
}
