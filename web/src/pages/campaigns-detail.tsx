import { FigureCard } from '../components/figure-card';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useLocation, useParams } from 'wouter';
import { api, must } from '../api/client';
import { ProblemMessage } from '../components/problem';
import {
  campaignKey,
  CampaignFigures,
  MessageStatusTable,
  STATUS_LABEL,
  useCampaign,
  type CampaignWithProgress,
} from './campaigns-progress';
import './campaigns.css';

type Estimate = NonNullable<Awaited<ReturnType<typeof fetchPreview>>>['estimate'];

function fetchPreview(id: string, contactId: string | undefined) {
  return must(api.GET('/v1/campaigns/{id}/preview', { params: { path: { id }, query: contactId ? { contactId } : {} } }));
}

const money = (amount: string, currency: string) => `${amount} ${currency.toUpperCase()}`;
const n = (value: number) => value.toLocaleString('en-US');

/** The API's estimate of the whole audience: segments and cost before anything is sent. */
function EstimateView({ estimate, title }: { estimate: Estimate; title: string }) {
  const excluded = estimate.excluded.opted_out + estimate.excluded.restricted + estimate.excluded.timezone_unknown;
  return (
    <section aria-labelledby="estimate-title">
      <h2 id="estimate-title">{title}</h2>
      <dl className="cards figures">
        <FigureCard label="Recipients" name="recipients" kind="estimate" value={n(estimate.recipients)} />
        <FigureCard label="Messages" name="messages" kind="estimate" value={n(estimate.messages)} />
        <FigureCard label="Segments" name="segments" kind="estimate" value={n(estimate.segments)} />
        <FigureCard label="Estimated cost" name="cost" kind="estimate" value={money(estimate.cost, estimate.currency)} />
      </dl>
      <p className="hint" data-estimate="breakdown">
        {n(estimate.segmentsByEncoding['GSM-7'])} GSM-7 and {n(estimate.segmentsByEncoding['UCS-2'])} UCS-2 segments at{' '}
        {money(estimate.pricePerSegment, estimate.currency)} per segment.
        {excluded > 0
          ? ` ${n(excluded)} recipients will be skipped: ${n(estimate.excluded.opted_out)} opted out, ${n(estimate.excluded.restricted)} restricted, ${n(estimate.excluded.timezone_unknown)} with no known time zone.`
          : ''}
      </p>
      {estimate.spendCapLeft !== null ? (
        <p className={estimate.exceedsSpendCap ? 'banner warning' : 'hint'} role={estimate.exceedsSpendCap ? 'alert' : undefined}>
          {money(estimate.spendCapLeft, estimate.currency)} left of this month’s spend cap.
          {estimate.exceedsSpendCap ? ' The estimate is above it: the campaign will pause itself when the cap is reached.' : ''}
        </p>
      ) : null}
    </section>
  );
}

/** For a draft: the estimate and one contact's message, both as the API renders them. */
function DraftEstimate({ campaign }: { campaign: CampaignWithProgress }) {
  const firstList = campaign.audience.listIds[0];
  const sample = useQuery({
    queryKey: ['list-contacts', firstList, 'first'],
    queryFn: () => must(api.GET('/v1/lists/{id}/contacts', { params: { path: { id: firstList! }, query: { limit: 1 } } })),
    enabled: firstList !== undefined,
  });
  const contactId = sample.data?.data[0]?.id;
  const preview = useQuery({
    queryKey: ['campaign-preview', campaign.id, campaign.updatedAt, contactId],
    queryFn: () => fetchPreview(campaign.id, contactId),
    enabled: sample.isFetched || firstList === undefined,
  });
  const contact = sample.data?.data[0];
  if (preview.isPending) return <p className="loading">Estimating the audience…</p>;
  if (preview.error) return <ProblemMessage error={preview.error} />;
  const p = preview.data;
  return (
    <>
      <EstimateView estimate={p.estimate} title="Estimate before launch" />
      {p.body !== undefined && contact ? (
        <section aria-labelledby="server-preview-title">
          <h2 id="server-preview-title">Message for {contact.name ?? contact.phone}</h2>
          <p className="sms-bubble">{p.body}</p>
          <p className="sms-meta" data-testid="server-preview-meta">
            {p.characters} characters · {p.encoding} · {p.segments} {p.segments === 1 ? 'segment' : 'segments'}
          </p>
        </section>
      ) : null}
    </>
  );
}

function Settings({ campaign }: { campaign: CampaignWithProgress }) {
  const lists = useQuery({ queryKey: ['lists', 'all'], queryFn: () => must(api.GET('/v1/lists', { params: { query: { limit: 200 } } })) });
  const nameOf = (id: string) => lists.data?.data.find((l) => l.id === id)?.name ?? id;
  return (
    <section aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <dl className="settings-list">
        <dt>Message</dt>
        <dd className="template-text">{campaign.template}</dd>
        <dt>Sender</dt>
        <dd>{campaign.from}</dd>
        <dt>Lists</dt>
        <dd>{campaign.audience.listIds.map(nameOf).join(', ')}</dd>
        {campaign.audience.excludeListIds.length > 0 ? (
          <>
            <dt>Left out</dt>
            <dd>{campaign.audience.excludeListIds.map(nameOf).join(', ')}</dd>
          </>
        ) : null}
        <dt>Rate</dt>
        <dd>{campaign.ratePerSecond} messages per second</dd>
        <dt>Quiet hours</dt>
        <dd>
          {campaign.quietHours.start}–{campaign.quietHours.end} (recipient’s local time)
        </dd>
        <dt>Start</dt>
        <dd>{campaign.startAt ? new Date(campaign.startAt).toLocaleString() : 'At launch'}</dd>
      </dl>
    </section>
  );
}

type Action = 'launch' | 'pause' | 'resume' | 'cancel';

async function steer(id: string, action: Action): Promise<{ campaign: CampaignWithProgress; estimate?: Estimate }> {
  const path = { params: { path: { id } } };
  switch (action) {
    case 'launch': {
      const { estimate, ...campaign } = await must(api.POST('/v1/campaigns/{id}/launch', path));
      return { campaign, estimate };
    }
    case 'pause':
      return { campaign: await must(api.POST('/v1/campaigns/{id}/pause', path)) };
    case 'resume':
      return { campaign: await must(api.POST('/v1/campaigns/{id}/resume', path)) };
    case 'cancel':
      return { campaign: await must(api.POST('/v1/campaigns/{id}/cancel', path)) };
  }
}

export function CampaignDetailPage() {
  const { id } = useParams<{ id: string }>();
  const client = useQueryClient();
  const [, navigate] = useLocation();
  const campaign = useCampaign(id);
  const [launchEstimate, setLaunchEstimate] = useState<Estimate | null>(null);
  const [confirming, setConfirming] = useState<'cancel' | 'delete' | null>(null);
  const act = useMutation({
    mutationFn: (action: Action) => steer(id, action),
    onSuccess: ({ campaign: fresh, estimate }) => {
      if (estimate) setLaunchEstimate(estimate);
      client.setQueryData(campaignKey(id), fresh);
      setConfirming(null);
      void client.invalidateQueries({ queryKey: ['campaigns'] });
    },
  });
  const remove = useMutation({
    mutationFn: () => must(api.DELETE('/v1/campaigns/{id}', { params: { path: { id } } })),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['campaigns'] });
      navigate('/campaigns');
    },
  });

  if (campaign.isPending) return <p className="loading">Loading…</p>;
  if (campaign.error) return <ProblemMessage error={campaign.error} />;
  const c = campaign.data;
  const status = c.status;
  const busy = act.isPending || remove.isPending;
  return (
    <>
      <p>
        <Link href="/campaigns">← All campaigns</Link>
      </p>
      <h1>{c.name}</h1>
      <p className="status-line">
        Status:{' '}
        <strong className={`status status-${status}`} data-testid="campaign-status">
          {STATUS_LABEL[status] ?? status}
        </strong>
        {c.progress.live && c.progress.state !== status ? <span className="hint"> ({c.progress.state.replace(/_/g, ' ')})</span> : null}
        {c.finishedAt ? <span className="hint"> · finished {new Date(c.finishedAt).toLocaleString()}</span> : null}
      </p>
      <div className="actions" role="group" aria-label="Campaign actions">
        {status === 'draft' ? (
          <>
            <button type="button" disabled={busy} onClick={() => act.mutate('launch')}>
              Launch
            </button>
            <Link href={`/campaigns/${id}/edit`} className="button secondary">
              Edit
            </Link>
            <button type="button" className="secondary" disabled={busy} onClick={() => setConfirming('delete')}>
              Delete draft
            </button>
          </>
        ) : null}
        {status === 'running' || status === 'scheduled' ? (
          <button type="button" className="secondary" disabled={busy} onClick={() => act.mutate('pause')}>
            Pause
          </button>
        ) : null}
        {status === 'paused' ? (
          <button type="button" disabled={busy} onClick={() => act.mutate('resume')}>
            Resume
          </button>
        ) : null}
        {status === 'running' || status === 'scheduled' || status === 'paused' ? (
          <button type="button" className="danger" disabled={busy} onClick={() => setConfirming('cancel')}>
            Cancel campaign
          </button>
        ) : null}
      </div>
      {confirming ? (
        <div className="banner confirm" role="group" aria-labelledby="confirm-text">
          <p id="confirm-text">
            {confirming === 'cancel'
              ? 'Cancel this campaign? Nothing more is sent, and messages still waiting in the outbox fail. This cannot be undone.'
              : 'Delete this draft? This cannot be undone.'}
          </p>
          <div className="banner-actions">
            <button
              type="button"
              className="danger"
              disabled={busy}
              onClick={() => (confirming === 'cancel' ? act.mutate('cancel') : remove.mutate())}
            >
              {confirming === 'cancel' ? 'Yes, cancel it' : 'Yes, delete it'}
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(null)}>
              No, keep it
            </button>
          </div>
        </div>
      ) : null}
      <ProblemMessage error={act.error ?? remove.error} />
      {status === 'draft' ? (
        <DraftEstimate campaign={c} />
      ) : (
        <section aria-labelledby="progress-title">
          <h2 id="progress-title">Progress</h2>
          <CampaignFigures campaign={c} headingLevel={3} />
          <h3>Messages by status</h3>
          <MessageStatusTable campaign={c} />
        </section>
      )}
      {launchEstimate ? <EstimateView estimate={launchEstimate} title="Estimate at launch" /> : null}
      <Settings campaign={c} />
    </>
  );
}
