import type { EntityManager } from '@mikro-orm/postgresql';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { Campaign } from '../../db/entities/campaign';
import { AppError } from '../../lib/errors';
import {
  campaignProgressQuery,
  campaignWorkflowId,
  cancelCampaignUpdate,
  pauseCampaignUpdate,
  resumeCampaignUpdate,
} from '../../workflows/campaigns/campaign';
import type { CampaignProgress } from '../../workflows/campaigns/campaign-progress';
import { startCampaignProcess } from './start-campaign-process';
import type { AccountActor } from '../actor';
import { auditByKey } from '../audit-log';
import type { ServiceDeps } from '../deps';
import { spendCapError, spendCapReached } from '../billing/spend-cap-store';
import { messageStatusCounts } from './campaign-store';
import { requireDraft, toCampaignView, type CampaignsService } from './campaigns-service';
import { requireTemplate } from './template';
import { requireVerifiedHolder } from '../holders/memberships';
import { requireSendingNotSuspended } from '../billing/sending-suspension';
import { openTemplate } from './campaign-fields';

/** With no worker polling, a query waits out Temporal's own 30 s; the stored state answers instead. */
const LIVE_PROGRESS_DEADLINE_MS = 2_000;

type Action = 'pause' | 'resume' | 'cancel';
const UPDATES = { pause: pauseCampaignUpdate, resume: resumeCampaignUpdate, cancel: cancelCampaignUpdate } as const;

/**
 * A launched campaign: its workflow is started on launch and steered by updates (each answers with
 * the new progress); GET shows the workflow's live progress beside the outbox's per-status counts.
 */
export class CampaignRuns {
  constructor(
    private readonly deps: Pick<ServiceDeps, 'keyring' | 'config' | 'pgPool' | 'analytics'> & { temporal: Client },
    private readonly drafts: CampaignsService,
  ) {}

  async launch(em: EntityManager, actor: AccountActor, id: string) {
    const now = new Date();
    let scheduled = false;
    // The estimate reads the whole audience (tens of seconds at a million recipients), so it is made
    // before the launch's transaction, which then holds the campaign's row lock and an ORM connection
    // only for its checks and writes. A draft edited meanwhile is estimated again inside it. Read in a
    // fork of its own: the transaction's fork copies `em`'s identity map, and the locked read must be fresh.
    const before = em.fork();
    const draft = await this.drafts.owned(before, actor, id);
    await this.requireLaunchable(before, actor, draft);
    const early = await this.drafts.estimate(draft, await this.deps.keyring.keyFor(before, actor.accountId));
    const launched = await em.transactional(async (tem) => {
      const campaign = await this.drafts.owned(tem, actor, id, { lock: true });
      await this.requireLaunchable(tem, actor, campaign);
      // Still true now? The sender may have been removed and lists deleted since the draft was written.
      const dataKey = await this.deps.keyring.keyFor(tem, actor.accountId);
      requireTemplate(openTemplate(dataKey, campaign.id, campaign.template));
      await this.drafts.checkedFields(tem, actor, {
        from: campaign.sender,
        audience: { listIds: campaign.listIds, excludeListIds: campaign.excludeListIds },
        ratePerSecond: campaign.ratePerSecond,
      });
      await this.requireAccountRate(tem, actor, campaign);
      campaign.status = campaign.startAt && campaign.startAt > now ? 'scheduled' : 'running';
      scheduled = campaign.status === 'scheduled';
      campaign.launchedAt = now;
      campaign.updatedAt = now;
      await tem.flush();
      await auditByKey(tem, actor, 'campaign.launched', { type: 'campaign', id }, { ratePerSecond: campaign.ratePerSecond });
      // Nothing of the campaign is sent before the commit, and the row is 'running' without its workflow
      // only for the moment of the start (the lost-starts sweep's window).
      const unchanged = campaign.updatedAt.getTime() === draft.updatedAt.getTime();
      return { estimate: unchanged ? early : await this.drafts.estimate(campaign, dataKey) };
    });
    try {
      // Started after the commit: the workflow's first read must see the launched row.
      await startCampaignProcess(this.deps.temporal, { campaignId: id, accountId: actor.accountId });
    } catch (err) {
      await em
        .fork()
        .nativeUpdate(Campaign, { id, accountId: actor.accountId }, { status: 'draft', launchedAt: null, updatedAt: new Date() });
      throw new AppError('unavailable', 'the campaign could not be started; it is a draft again, try again later', {
        retryAfterSeconds: 30,
        cause: err,
      });
    }
    this.deps.analytics.captureForAccount(actor.accountId, 'campaign_launched', { scheduled });
    return { ...(await this.get(em.fork(), actor, id)), estimate: launched.estimate };
  }

  /** The refusals a launch gives before any work: not a draft, an unverified owner, suspended sending. */
  private async requireLaunchable(em: EntityManager, actor: AccountActor, campaign: Campaign): Promise<void> {
    requireDraft(campaign, 'launched');
    await requireVerifiedHolder(em, actor.accountId, 'launching a campaign');
    await requireSendingNotSuspended(em, actor.accountId);
  }

  async steer(em: EntityManager, actor: AccountActor, id: string, action: Action) {
    const campaign = await this.drafts.owned(em, actor, id);
    if (campaign.status === 'draft') throw new AppError('conflict', `the campaign is a draft: launch it before you ${action} it`);
    if (action === 'resume') await requireSendingNotSuspended(em, actor.accountId);
    if (campaign.status === 'completed' || campaign.status === 'cancelled') {
      throw new AppError(
        'conflict',
        `the campaign is ${campaign.status}: it can no longer be ${action === 'cancel' ? 'cancelled' : `${action}d`}`,
      );
    }
    // It would pause itself again at its first page: refused, saying why.
    if (action === 'resume' && (await spendCapReached(this.deps.pgPool, actor.accountId, new Date())))
      throw spendCapError('the campaign cannot resume');
    let progress: CampaignProgress;
    try {
      progress = await this.deps.temporal.workflow.getHandle(campaignWorkflowId(id)).executeUpdate(UPDATES[action]);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError)
        throw new AppError('conflict', `the campaign cannot be ${action}d now: it has finished`);
      throw new AppError('unavailable', `the campaign could not be ${action === 'cancel' ? 'cancelled' : `${action}d`} now; try again`, {
        retryAfterSeconds: 5,
        cause: err,
      });
    }
    await em.transactional((tem) =>
      auditByKey(tem, actor, `campaign.${action === 'cancel' ? 'cancelled' : `${action}d`}`, { type: 'campaign', id }),
    );
    // Read again: the workflow's update changed the row's status.
    const fresh = em.fork();
    return this.view(fresh, actor, await this.drafts.owned(fresh, actor, id), progress);
  }

  async get(em: EntityManager, actor: AccountActor, id: string) {
    const campaign = await this.drafts.owned(em, actor, id);
    let live: CampaignProgress | null = null;
    if (campaign.status !== 'draft') {
      const handle = this.deps.temporal.workflow.getHandle(campaignWorkflowId(id));
      live = await this.deps.temporal
        .withDeadline(Date.now() + LIVE_PROGRESS_DEADLINE_MS, () => handle.query(campaignProgressQuery))
        .catch(() => null);
    }
    return this.view(em, actor, campaign, live);
  }

  private async view(em: EntityManager, actor: AccountActor, campaign: Campaign, live: CampaignProgress | null) {
    const dataKey = await this.deps.keyring.keyFor(em, actor.accountId);
    const messages = campaign.status === 'draft' ? {} : await messageStatusCounts(this.deps.pgPool, campaign.id);
    return { ...toCampaignView(campaign, dataKey), progress: progressView(campaign, live, messages) };
  }

  /** The account's scheduled, running and paused campaigns together stay under its cap. */
  private async requireAccountRate(em: EntityManager, actor: AccountActor, campaign: Campaign): Promise<void> {
    const [row] = await em.execute<{ total: number }[]>(
      `select coalesce(sum(rate_per_second), 0)::int as total from campaigns
        where account_id = ? and status in ('scheduled', 'running', 'paused') and id <> ?`,
      [actor.accountId, campaign.id],
    );
    const cap = this.deps.config.CAMPAIGN_MAX_RATE_PER_ACCOUNT;
    if (row!.total + campaign.ratePerSecond > cap) {
      throw new AppError(
        'conflict',
        `this account's active campaigns already send ${row!.total} messages per second; ${campaign.ratePerSecond} more would pass its cap of ${cap}`,
      );
    }
  }
}

const MESSAGE_STATUSES = ['queued', 'waiting', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'suppressed'] as const;

function progressView(campaign: Campaign, live: CampaignProgress | null, messages: Record<string, number>) {
  const counts = Object.fromEntries(MESSAGE_STATUSES.map((s) => [s, messages[s] ?? 0])) as Record<
    (typeof MESSAGE_STATUSES)[number],
    number
  >;
  if (!live) return { live: false as const, state: campaign.status, messages: counts };
  const remaining = live.remaining;
  const estimatedFinishAt =
    remaining > 0 && live.ratePerSecond > 0 && live.state === 'sending'
      ? new Date(Date.now() + (remaining / live.ratePerSecond) * 1000).toISOString()
      : null;
  return {
    live: true as const,
    state: live.state,
    targeted: live.targeted,
    duplicates: live.duplicates,
    queued: live.queued,
    skipped: live.skipped,
    // The workflow counts pending recipients; messages whose window closed in the outbox wait too.
    waitingQuietHours: live.waitingQuietHours + counts.waiting,
    waitingMessageCap: live.waitingMessageCap ?? 0,
    pausedReason: live.pausedReason ?? null,
    nextOpeningAt: live.nextOpeningAt === null ? null : new Date(live.nextOpeningAt).toISOString(),
    remaining,
    ratePerSecond: live.ratePerSecond,
    estimatedFinishAt,
    messages: counts,
  };
}
