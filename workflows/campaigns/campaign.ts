import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { CampaignActivities } from '../../activities/campaigns';
import { campaignDetails } from '../process-details';
import { NEW_CAMPAIGN_PROGRESS, remainingOf, type CampaignProgress } from './campaign-progress';

/**
 * One campaign (`campaign:<id>`): waits for its start time, snapshots the audience, then writes its
 * messages into the outbox a page per second at the campaign's rate (the dispatchers send them with
 * failover), deferring recipients outside their quiet hours with durable timers, and finishes when
 * every message is final. Pause, resume and cancel are updates that answer with the new progress.
 * It continues as new every PAGES_PER_RUN pages, so its history stays bounded for any audience.
 */

export const campaignWorkflowId = (campaignId: string) => `campaign:${campaignId}`;
/**
 * Most messages one page (one activity) writes. Pages are paced at the rate, so above PAGE_MAX per
 * second they come more than once a second; each page costs a few workflow events and a round trip
 * through Temporal, so bigger pages keep more of a fast rate (measured: bench:campaign).
 */
export const PAGE_MAX = 2000;
/** Pages (or end-of-campaign polls) per run before continuing as new: ~10 events each. */
export const PAGES_PER_RUN = 300;
/** How often a campaign whose messages are all queued checks that they reached a final status. */
export const FINISH_POLL = '10 seconds';

/** Patch: a page that finds the account at its spend cap pauses the campaign (`pausedReason: 'spend_cap'`). */
export const SPEND_CAP_PAUSE_PATCH = 'campaign-spend-cap-pause';

export const campaignProgressQuery = defineQuery<CampaignProgress>('progress');
export const pauseCampaignUpdate = defineUpdate<CampaignProgress>('pause');
export const resumeCampaignUpdate = defineUpdate<CampaignProgress>('resume');
export const cancelCampaignUpdate = defineUpdate<CampaignProgress>('cancel');

/** A campaign of an account whose sending is suspended for non-payment pauses (`pausedReason: account_suspended`). */
export const PAUSE_ON_SUSPENSION_PATCH = 'campaign-pause-on-account-suspension';

export interface CampaignInput {
  campaignId: string;
  carry?: { progress: CampaignProgress; paused: boolean; pauses: number };
}

const { loadCampaign, setCampaignStatus, cancelUnsent, hasUnfinishedMessages, announceCampaign } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});
/** Heartbeated: a page lost with its worker is retried within seconds, not after a minute of silence. */
const { enqueuePage } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});
const { snapshotAudience } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

const FINISHED = new Set(['completed', 'cancelled']);

export async function campaignWorkflow(input: CampaignInput): Promise<CampaignProgress> {
  const { campaignId } = input;
  const progress: CampaignProgress = input.carry?.progress ?? { ...NEW_CAMPAIGN_PROGRESS };
  let paused = input.carry?.paused ?? false;
  let cancelled = false;
  const finished = () => cancelled || FINISHED.has(progress.state);
  /** The progress as callers see it: a paused campaign says so whatever phase it paused in. */
  const view = (): CampaignProgress => ({
    ...progress,
    state: paused && !finished() ? 'paused' : progress.state,
    remaining: remainingOf(progress),
  });
  // Before the first activity: a query right after launch must find the handler.
  setHandler(campaignProgressQuery, view);
  /** The Temporal UI's current details (metadata, not a command: replays are unaffected). */
  const report = () => setCurrentDetails(campaignDetails(campaignId, view()));
  const plan = await loadCampaign(campaignId);
  if (!input.carry) {
    progress.ratePerSecond = plan?.ratePerSecond ?? 0;
    paused = plan?.status === 'paused';
  }
  let pauses = input.carry?.pauses ?? 0;
  /** A campaign.* customer event; its id is fixed by (type, occurrence), so a retry queues it once. */
  const announce = (type: 'campaign.started' | 'campaign.paused' | 'campaign.completed' | 'campaign.cancelled', occurrence = 0) => {
    const v = view();
    return announceCampaign({
      type,
      occurrence,
      facts: { campaignId, state: type.slice('campaign.'.length), targeted: v.targeted, queued: v.queued, skipped: v.skipped },
    });
  };
  if (!plan || !['scheduled', 'running', 'paused'].includes(plan.status)) {
    progress.state = plan?.status === 'cancelled' ? 'cancelled' : 'not_launched';
    return progress;
  }

  const refuseWhenFinished = () => {
    if (finished()) throw new Error(`the campaign is ${progress.state}`);
  };
  setHandler(
    pauseCampaignUpdate,
    async () => {
      if (!paused) {
        paused = true;
        await setCampaignStatus({ campaignId, from: ['scheduled', 'running'], to: 'paused' });
        await announce('campaign.paused', ++pauses);
      }
      return view();
    },
    { validator: refuseWhenFinished },
  );
  setHandler(
    resumeCampaignUpdate,
    async () => {
      if (paused) {
        const waitingToStart = progress.state === 'scheduled';
        // Stored first: a page started on resume must find the campaign running, or it would read as
        // paused from outside (see adoptStoredStatus).
        await setCampaignStatus({ campaignId, from: ['paused'], to: waitingToStart ? 'scheduled' : 'running' });
        paused = false;
        progress.pausedReason = null;
      }
      return view();
    },
    { validator: refuseWhenFinished },
  );
  /** Skips what has not gone out; the stored totals say what the campaign sent and skipped. */
  const cancelNow = async () => {
    cancelled = true;
    const { totals } = await cancelUnsent(campaignId);
    progress.queued = totals.queued;
    progress.skipped = { ...totals.skipped };
    progress.state = 'cancelled';
    await announce('campaign.cancelled');
  };
  setHandler(
    cancelCampaignUpdate,
    async () => {
      cancelled = true;
      await setCampaignStatus({ campaignId, from: ['scheduled', 'running', 'paused'], to: 'cancelled' });
      await cancelNow();
      return view();
    },
    { validator: refuseWhenFinished },
  );
  /**
   * The stored status changed without this workflow (an operator's fix, a restored backup): take it
   * as it is, so the loop neither spins on a page that keeps answering "stopped" nor writes again.
   */
  const adoptStoredStatus = async (status: string | null) => {
    if (status === 'paused') paused = true;
    else if (status === 'cancelled') await cancelNow();
    else {
      cancelled = true;
      progress.state = status === 'completed' ? 'completed' : 'cancelled';
    }
  };
  const stopped = () => cancelled || paused;
  const whilePaused = () => condition(() => !paused || cancelled);

  if (progress.state === 'scheduled' || progress.state === 'not_started') {
    progress.state = 'scheduled';
    if (plan.startAt !== null && plan.startAt > Date.now()) await condition(() => cancelled, plan.startAt - Date.now());
    await whilePaused();
    if (cancelled) return finish(progress);
    await setCampaignStatus({ campaignId, from: ['scheduled'], to: 'running' });
    progress.state = 'snapshotting';
  }
  if (progress.state === 'snapshotting') {
    Object.assign(progress, await snapshotAudience(campaignId));
    progress.state = 'sending';
    await announce('campaign.started');
  }

  let pages = 0;
  while (!cancelled && progress.state !== 'finishing') {
    report();
    if (paused) {
      await whilePaused();
      continue;
    }
    const started = Date.now();
    const page = await enqueuePage({ campaignId, limit: Math.min(PAGE_MAX, progress.ratePerSecond), now: Date.now() });
    pages++;
    // Its number was removed after launch, the account's sending was suspended for non-payment, or it
    // reached its monthly spend cap: paused (not skipped), so re-adding the number, paying or raising the
    // cap (or the month rolling over) and resuming continues; what is queued waits in the outbox.
    const pauseFor = page.senderUnavailable
      ? 'sender_unavailable'
      : page.accountSuspended && patched(PAUSE_ON_SUSPENSION_PATCH)
        ? 'account_suspended'
        : page.spendCapped && !paused && !cancelled && patched(SPEND_CAP_PAUSE_PATCH)
          ? 'spend_cap'
          : null;
    if (pauseFor && !paused && !cancelled) {
      paused = true;
      progress.pausedReason = pauseFor;
      await setCampaignStatus({ campaignId, from: ['running'], to: 'paused' });
      await announce('campaign.paused', ++pauses);
      continue;
    }
    if (page.stopped) {
      // Paused or cancelled by an update meanwhile (its handler already says so), or from outside.
      if (!paused && !cancelled) await adoptStoredStatus(page.status);
      continue;
    }
    progress.queued = page.totals.queued;
    progress.skipped = { ...page.totals.skipped };
    progress.pages++;
    if (page.pendingLeft !== null) {
      progress.waitingMessageCap = page.waitingMessageCap ?? 0;
      progress.waitingQuietHours = (page.waiting ?? 0) - progress.waitingMessageCap;
      progress.nextOpeningAt = page.nextOpeningAt;
    }
    if (page.pendingLeft === 0) {
      progress.state = 'finishing';
    } else if (page.queued === 0 && page.pendingLeft !== null && page.waiting === page.pendingLeft && page.nextOpeningAt !== null) {
      progress.state = 'waiting';
      report();
      await condition(stopped, Math.max(1, page.nextOpeningAt - Date.now()));
      progress.state = 'sending';
    } else if (page.queued > 0) {
      const slotMs = (page.queued / progress.ratePerSecond) * 1000;
      await condition(stopped, Math.max(1, started + slotMs - Date.now()));
    }
    if (pages >= PAGES_PER_RUN || workflowInfo().continueAsNewSuggested) await carryOn(input, { progress, paused, pauses });
  }
  if (cancelled) return finish(progress);

  let polls = 0;
  report();
  while (await hasUnfinishedMessages(campaignId)) {
    await sleep(FINISH_POLL);
    if (++polls >= PAGES_PER_RUN) await carryOn(input, { progress, paused, pauses });
    if (cancelled) return finish(progress);
  }
  await setCampaignStatus({ campaignId, from: ['running', 'paused'], to: 'completed' });
  progress.state = 'completed';
  report();
  await announce('campaign.completed');
  return finish(progress);
}

async function finish(progress: CampaignProgress): Promise<CampaignProgress> {
  await condition(allHandlersFinished);
  return { ...progress, remaining: remainingOf(progress) };
}

async function carryOn(input: CampaignInput, carry: NonNullable<CampaignInput['carry']>): Promise<never> {
  await condition(allHandlersFinished);
  return continueAsNew<typeof campaignWorkflow>({ campaignId: input.campaignId, carry });
}
