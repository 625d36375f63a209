import { FigureCard } from '../components/figure-card';
import { useQuery } from '@tanstack/react-query';
import { api, must } from '../api/client';
import { ProgressBar } from '../components/progress';
import './campaigns.css';

export type CampaignWithProgress = Awaited<ReturnType<typeof fetchCampaign>>;
export type CampaignProgress = CampaignWithProgress['progress'];
export type LiveProgress = Extract<CampaignProgress, { live: true }>;

export function fetchCampaign(id: string) {
  return must(api.GET('/v1/campaigns/{id}', { params: { path: { id } } }));
}

/** Statuses whose figures still move: polled every 1.5 s. */
export const ACTIVE_STATUSES: readonly string[] = ['scheduled', 'running'];

export const campaignKey = (id: string) => ['campaign', id] as const;

/** Messages not yet at a final status: a finished campaign's receipts still arrive for a while. */
const unsettled = (m: CampaignWithProgress['progress']['messages']) => m.queued + m.waiting + m.sending + m.sent;
const SETTLING_MS = 10 * 60_000;

/**
 * One campaign with its live progress, polled every 1.5 s while it runs, every 5 s while paused
 * (messages in flight still land), and for ten minutes after it finished while receipts still arrive.
 */
export function useCampaign(id: string) {
  return useQuery({
    queryKey: campaignKey(id),
    queryFn: () => fetchCampaign(id),
    refetchInterval: (query) => {
      const data = query.state.data;
      if (!data) return false;
      if (ACTIVE_STATUSES.includes(data.status)) return 1_500;
      if (data.status === 'paused') return 5_000;
      const finished = data.finishedAt ? Date.parse(data.finishedAt) : NaN;
      if (unsettled(data.progress.messages) > 0 && Date.now() - finished < SETTLING_MS) return 3_000;
      return false;
    },
  });
}

export const STATUS_LABEL: Record<string, string> = {
  draft: 'Draft',
  scheduled: 'Scheduled',
  running: 'Running',
  paused: 'Paused',
  completed: 'Completed',
  cancelled: 'Cancelled',
};

const PAUSED_REASON: Record<string, string> = {
  sender_unavailable: 'its sender number was removed (add it again, then resume)',
  spend_cap: 'the account reached its monthly spend cap (raise the cap or wait for next month, then resume)',
  account_suspended: 'sending is suspended for an unpaid invoice',
};

const SKIP_REASON: Record<string, string> = {
  opted_out: 'Opted out',
  restricted: 'Restricted',
  contact_deleted: 'Contact deleted',
  timezone_unknown: 'Time zone unknown',
};

export const skipLabel = (reason: string) => SKIP_REASON[reason] ?? reason.replace(/_/g, ' ');

/** Accepted by a carrier: sent, and those with a receipt since (delivered or undelivered). */
export const sentCount = (m: CampaignProgress['messages']) => m.sent + m.delivered + m.undelivered;

const n = (value: number) => value.toLocaleString('en-US');

/** The figures of one campaign run, each labelled (the test and a screen reader read the same words). */
export function CampaignFigures({ campaign, headingLevel = 2 }: { campaign: CampaignWithProgress; headingLevel?: 2 | 3 }) {
  const p = campaign.progress;
  const m = p.messages;
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  const skippedTotal = p.live ? Object.values(p.skipped).reduce((a, b) => a + b, 0) : 0;
  const done = p.live ? p.targeted - p.remaining : 0;
  return (
    <div className="campaign-figures">
      {p.live ? (
        <ProgressBar
          label={`Progress of ${campaign.name}`}
          value={done}
          max={p.targeted > 0 ? p.targeted : null}
          text={p.targeted > 0 ? `${n(done)} of ${n(p.targeted)} recipients handled` : 'Preparing the audience'}
        />
      ) : (
        <p className="hint">Live progress is not available right now; the figures below are the stored ones.</p>
      )}
      {p.live && p.state === 'paused' && p.pausedReason ? (
        <p className="banner" role="status">
          Paused by itself: {PAUSED_REASON[p.pausedReason] ?? p.pausedReason}.
        </p>
      ) : null}
      <dl className="cards figures">
        {p.live ? <FigureCard label="Targeted" name="targeted" value={n(p.targeted)} /> : null}
        <FigureCard label="Sent" name="sent" value={n(sentCount(m))} />
        <FigureCard label="Delivered" name="delivered" value={n(m.delivered)} />
        <FigureCard label="Failed" name="failed" value={n(m.failed + m.undelivered)} />
        {p.live ? <FigureCard label="Skipped" name="skipped" value={n(skippedTotal)} /> : null}
        {p.live ? <FigureCard label="Waiting for quiet hours" name="waiting-quiet-hours" value={n(p.waitingQuietHours)} /> : null}
        {p.live ? <FigureCard label="Rate" name="rate" value={`${n(p.ratePerSecond)}/s`} /> : null}
      </dl>
      {p.live && skippedTotal > 0 ? (
        <>
          <Heading>Skipped by reason</Heading>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Reason</th>
                  <th scope="col">Recipients</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(p.skipped)
                  .filter(([, count]) => count > 0)
                  .map(([reason, count]) => (
                    <tr key={reason}>
                      <th scope="row">{skipLabel(reason)}</th>
                      <td data-skipped={reason}>{n(count)}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </div>
  );
}

/** Every message of the campaign by its outbox status, as the API counts them. */
export function MessageStatusTable({ campaign }: { campaign: CampaignWithProgress }) {
  const m = campaign.progress.messages;
  const p = campaign.progress;
  const rows: [string, string, number][] = [
    ['queued', 'Queued', m.queued],
    ['waiting', 'Waiting (window closed)', m.waiting],
    ['sending', 'Sending', m.sending],
    ['sent', 'Sent, no receipt yet', m.sent],
    ['delivered', 'Delivered', m.delivered],
    ['undelivered', 'Undelivered', m.undelivered],
    ['failed', 'Failed', m.failed],
    ['suppressed', 'Suppressed', m.suppressed],
  ];
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">Messages by status</caption>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Messages</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([key, label, value]) => (
            <tr key={key}>
              <th scope="row">{label}</th>
              <td data-status={key}>{n(value)}</td>
            </tr>
          ))}
          {p.live ? (
            <>
              <tr>
                <th scope="row">Duplicates (on more than one list)</th>
                <td data-status="duplicates">{n(p.duplicates)}</td>
              </tr>
              <tr>
                <th scope="row">Waiting for a state&apos;s message cap</th>
                <td data-status="waiting-message-cap">{n(p.waitingMessageCap)}</td>
              </tr>
              <tr>
                <th scope="row">Remaining</th>
                <td data-status="remaining">{n(p.remaining)}</td>
              </tr>
            </>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}
