import { Context } from '@temporalio/activity';
import type { CarrierId } from '../../providers/sms/carrier';
import { replanClosedWindows } from '../../services/campaigns/closed-window-store';
import { readAvailability } from '../../services/messaging/carrier-breaker';
import { claimMessages, releaseExpiredClaims, type ClaimedMessage } from '../../services/messaging/outbox-store';
import { carriersFor, CARRIER_PREFERENCE, carriersForSender } from '../../services/messaging/routing';
import { messagesWithoutFailover } from '../../services/messaging/sender-number-store';
import { loadSubprocessorGate } from '../../services/subprocessors/subprocessor-gate';
import { keysForAccounts } from './account-keys';
import type { ClaimBatchInput, ClaimBatchResult } from './dispatch-types';
import type { MessagingActivityDeps } from './messaging-deps';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Claims a batch of due messages, waiting (and heartbeating) up to `waitMs` while the outbox is
 * empty so an idle dispatcher costs a few activities a minute, not a stream of empty ones.
 */
export function createClaimBatch(deps: MessagingActivityDeps) {
  const { pgPool, settings } = deps;

  async function routesFor(claimed: ClaimedMessage[]): Promise<ClaimBatchResult['routes']> {
    if (claimed.length === 0) return [];
    const gate = await loadSubprocessorGate(
      pgPool,
      claimed.map((m) => m.accountId),
    );
    const byAccount = new Map<string, CarrierId[]>();
    for (const { accountId } of claimed) if (!byAccount.has(accountId)) byAccount.set(accountId, carriersFor(gate, accountId));
    const primaryOnly = await messagesWithoutFailover(
      pgPool,
      claimed.map((m) => m.id),
    );
    const groups = new Map<string, { carriers: CarrierId[]; ids: string[] }>();
    for (const m of claimed) {
      const carriers = carriersForSender(byAccount.get(m.accountId)!, !primaryOnly.has(m.id));
      const key = carriers.join(',');
      const group = groups.get(key) ?? { carriers, ids: [] };
      group.ids.push(m.id);
      groups.set(key, group);
    }
    return [...groups.values()];
  }

  return async function claimBatch(input: ClaimBatchInput): Promise<ClaimBatchResult> {
    const ctx = Context.current();
    await releaseExpiredClaims(pgPool);
    // Messages whose quiet-hours window closed while they waited here go to their next window (never claimed late).
    if (input.max > 0) await replanClosedWindows(pgPool, (accountIds) => keysForAccounts(deps, accountIds), settings.clock());
    const deadline = Date.now() + input.waitMs;
    // max 0 (a retired shard): only the wait, so its loop paces itself like an idle one.
    const claim = () =>
      input.max > 0 ? claimMessages(pgPool, input.claimToken, input.max, settings.claimLeaseMs, settings.clock()) : Promise.resolve([]);
    let claimed = await claim();
    while (claimed.length === 0 && Date.now() < deadline) {
      ctx.heartbeat();
      await Promise.race([sleep(settings.idlePollMs), ctx.cancelled]);
      claimed = await claim();
    }
    return {
      routes: await routesFor(claimed),
      availability: await readAvailability(pgPool, CARRIER_PREFERENCE, settings.breaker),
    };
  };
}
