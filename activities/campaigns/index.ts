import { ApplicationFailure, Context } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Pool } from 'pg';
import type { DataKeyring } from '../../services/keyring';
import { publishCampaignEvent, type CampaignEventFacts, type CampaignEventType } from '../../services/campaigns/campaign-events';
import { statusEventsFor } from '../messaging/status-events';
import {
  cancelUnsent,
  enqueuePage,
  hasUnfinishedMessages,
  readCampaign,
  setCampaignStatus,
  snapshotCounts,
  snapshotPage,
  type EnqueuedPage,
  type SkipReason,
} from '../../services/campaigns/campaign-store';

export interface CampaignActivityDeps {
  pgPool: Pool;
  orm: MikroORM;
  keyring: DataKeyring;
}

/** Recipients written per transaction of a page. */
const PAGE_TRANSACTION = 500;

/** A page written in several transactions, as one: counts added, totals and what is left as of the last. */
function joinPages(first: EnqueuedPage, next: EnqueuedPage): EnqueuedPage {
  const skipped = { ...first.skipped };
  for (const [reason, n] of Object.entries(next.skipped) as [SkipReason, number][]) skipped[reason] = (skipped[reason] ?? 0) + n;
  return { ...next, queued: first.queued + next.queued, deferred: first.deferred + next.deferred, skipped };
}

/** Contacts read per snapshot statement. */
const SNAPSHOT_PAGE = 5_000;

/** What the workflow needs to know about its campaign: ids, state and numbers only. */
export interface CampaignPlan {
  status: string;
  accountId: string;
  startAt: number | null;
  ratePerSecond: number;
}

function missing(campaignId: string): never {
  throw ApplicationFailure.nonRetryable(`campaign ${campaignId} not found`, 'CampaignNotFound');
}

export function createCampaignActivities(deps: CampaignActivityDeps) {
  const statusEvents = statusEventsFor(deps);
  const requireCampaign = async (campaignId: string) => (await readCampaign(deps.pgPool, campaignId)) ?? missing(campaignId);
  /** A campaign's account never changes: read once per process, not once per page. */
  const accountIds = new Map<string, string>();
  return {
    async loadCampaign(campaignId: string): Promise<CampaignPlan | null> {
      const c = await readCampaign(deps.pgPool, campaignId);
      return c && { status: c.status, accountId: c.accountId, startAt: c.startAt?.getTime() ?? null, ratePerSecond: c.ratePerSecond };
    },

    /** The audience, snapshotted page by page; a retry resumes after the last page it heartbeated. */
    async snapshotAudience(campaignId: string): Promise<{ targeted: number; duplicates: number }> {
      const campaign = await requireCampaign(campaignId);
      const ctx = Context.current();
      let cursor = (ctx.info.heartbeatDetails as { cursor: string | null } | undefined)?.cursor ?? null;
      for (;;) {
        const { next } = await snapshotPage(deps.pgPool, campaign, cursor, SNAPSHOT_PAGE);
        if (next === null) break;
        cursor = next;
        ctx.heartbeat({ cursor });
      }
      return snapshotCounts(deps.pgPool, campaign);
    },

    /**
     * `now` is the workflow's clock (epoch ms), so quiet hours follow a time-skipping server's time
     * too; the wall clock only for a page scheduled by a workflow run from before `now` was passed.
     */
    async enqueuePage(input: { campaignId: string; limit: number; now?: number }) {
      const accountId = accountIds.get(input.campaignId) ?? (await requireCampaign(input.campaignId)).accountId;
      if (accountIds.size >= 10_000) accountIds.clear();
      accountIds.set(input.campaignId, accountId);
      const dataKey = await deps.keyring.keyFor(deps.orm.em.fork(), accountId);
      const now = new Date(input.now ?? Date.now());
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 1_000);
      try {
        // Several short transactions: row locks are held briefly and a crash loses at most one of them.
        let page = await enqueuePage(deps.pgPool, dataKey, input.campaignId, Math.min(PAGE_TRANSACTION, input.limit), now);
        for (let left = input.limit - PAGE_TRANSACTION; left > 0 && !page.stopped && page.pendingLeft === null; left -= PAGE_TRANSACTION) {
          const more = await enqueuePage(deps.pgPool, dataKey, input.campaignId, Math.min(PAGE_TRANSACTION, left), now);
          if (more.stopped) break;
          page = joinPages(page, more);
        }
        return page;
      } finally {
        clearInterval(beat);
      }
    },

    async setCampaignStatus(input: { campaignId: string; from: string[]; to: string }): Promise<boolean> {
      return setCampaignStatus(deps.pgPool, input.campaignId, input.from, input.to);
    },

    async cancelUnsent(campaignId: string) {
      return cancelUnsent(deps.pgPool, statusEvents, campaignId);
    },

    async announceCampaign(input: { type: CampaignEventType; occurrence: number; facts: CampaignEventFacts }): Promise<void> {
      await publishCampaignEvent(deps.pgPool, deps.keyring, input);
    },

    async hasUnfinishedMessages(campaignId: string): Promise<boolean> {
      return hasUnfinishedMessages(deps.pgPool, campaignId);
    },
  };
}

export type CampaignActivities = ReturnType<typeof createCampaignActivities>;
