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
} from '../../services/campaigns/campaign-store';

export interface CampaignActivityDeps {
  pgPool: Pool;
  orm: MikroORM;
  keyring: DataKeyring;
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
      const campaign = await requireCampaign(input.campaignId);
      const dataKey = await deps.keyring.keyFor(deps.orm.em.fork(), campaign.accountId);
      return enqueuePage(deps.pgPool, dataKey, input.campaignId, input.limit, new Date(input.now ?? Date.now()));
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
