import { FigureCard } from '../components/figure-card';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api, must } from '../api/client';
import { BarChart } from '../components/bar-chart';
import { ProblemMessage } from '../components/problem';
import { CampaignFigures, STATUS_LABEL, useCampaign } from './campaigns-progress';
import './dashboard.css';

const startOfTodayUtc = (now = new Date()) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
const n = (value: number) => value.toLocaleString('en-US');

/** Pages of outbound messages read to count today's statuses (200 each): at most 2,000 messages. */
const STATUS_PAGES = 10;

/** Today's outbound messages by status, read page by page from GET /v1/messages (the API has no per-status totals). */
async function todaysStatuses(from: string) {
  const counts: Record<string, number> = {};
  let cursor: string | undefined;
  for (let page = 0; page < STATUS_PAGES; page++) {
    const res = await must(
      api.GET('/v1/messages', {
        params: { query: { direction: 'outbound', createdAfter: from, limit: 200, ...(cursor ? { cursor } : {}) } },
      }),
    );
    for (const m of res.data) counts[m.status] = (counts[m.status] ?? 0) + 1;
    if (!res.nextCursor) return { counts, complete: true };
    cursor = res.nextCursor;
  }
  return { counts, complete: false };
}

/** An amount as the API gives it (up to 6 decimals: segments cost fractions of a cent), at least 2 decimals. */
function money(amount: string, currency: string): string {
  const v = Number(amount).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 6 });
  return `${v} ${currency.toUpperCase()}`;
}

/** The monthly cap, when GET /v1/billing reports it under `spendCap` (the API's usage service says it should; see the report). */
function capOf(billing: unknown): { monthlyCap: string | null } | undefined {
  const spendCap = (billing as { spendCap?: { monthlyCap?: unknown } } | undefined)?.spendCap;
  if (!spendCap) return undefined;
  return { monthlyCap: typeof spendCap.monthlyCap === 'string' ? spendCap.monthlyCap : null };
}

function Figures() {
  const today = startOfTodayUtc().toISOString();
  const usageToday = useQuery({
    queryKey: ['usage', 'today', today],
    queryFn: () => must(api.GET('/v1/usage', { params: { query: { from: today } } })),
    refetchInterval: 15_000,
  });
  const statuses = useQuery({ queryKey: ['message-statuses', today], queryFn: () => todaysStatuses(today), refetchInterval: 15_000 });
  const usageMonth = useQuery({
    queryKey: ['usage', 'month'],
    queryFn: () => must(api.GET('/v1/usage', { params: { query: { groupBy: 'day' } } })),
    refetchInterval: 15_000,
  });
  const billing = useQuery({ queryKey: ['billing'], queryFn: () => must(api.GET('/v1/billing')) });

  const counts = statuses.data?.counts ?? {};
  const accepted = (counts.sent ?? 0) + (counts.delivered ?? 0) + (counts.undelivered ?? 0);
  const delivered = counts.delivered ?? 0;
  const rate = accepted > 0 ? `${((delivered / accepted) * 100).toFixed(1)}%` : '—';
  const month = usageMonth.data;
  const cap = capOf(billing.data);
  const capValue = cap?.monthlyCap ? Number(cap.monthlyCap) : null;
  // Charted in cents (the chart's scale starts at 1: a month of fractions of a dollar still shows).
  let running = 0;
  const bars = (month?.data ?? []).map((d) => {
    running += Number(d.cost) * 100;
    return { label: d.day ?? '', value: Math.round(running * 1e4) / 1e4 };
  });
  const currency = month?.currency ?? 'usd';

  return (
    <>
      <ProblemMessage error={usageToday.error ?? statuses.error ?? usageMonth.error ?? billing.error} />
      <section aria-labelledby="today-title">
        <h2 id="today-title">Today</h2>
        <dl className="cards figures">
          <FigureCard label="Messages today" name="messages-today" value={usageToday.data ? n(usageToday.data.totals.messages) : '…'} />
          <FigureCard label="Segments today" name="segments-today" value={usageToday.data ? n(usageToday.data.totals.segments) : '…'} />
          <div className="card">
            <dt>Delivery rate</dt>
            <dd className="figure" data-figure="delivery-rate">
              {statuses.data ? rate : '…'}
            </dd>
            <dd className="hint" data-figure="delivered-of-accepted">
              {statuses.data ? `${n(delivered)} delivered of ${n(accepted)} accepted by a carrier today` : ''}
              {statuses.data && !statuses.data.complete ? ' (first 2,000 messages)' : ''}
            </dd>
          </div>
        </dl>
      </section>
      <section aria-labelledby="period-title">
        <h2 id="period-title">This month</h2>
        <dl className="cards figures">
          <FigureCard label="Messages this month" name="messages-month" value={month ? n(month.totals.messages) : '…'} />
          <FigureCard label="Spend this month" name="spend-month" value={month ? money(month.totals.cost, currency) : '…'} />
          <div className="card">
            <dt>Monthly spend cap</dt>
            <dd className="figure" data-figure="spend-cap">
              {!billing.data
                ? '…'
                : cap === undefined
                  ? 'Not reported'
                  : cap.monthlyCap === null
                    ? 'No cap'
                    : money(cap.monthlyCap, currency)}
            </dd>
            {cap === undefined && billing.data ? (
              <dd className="hint">The API does not report the cap here yet; set it under Billing.</dd>
            ) : capValue && month ? (
              <dd className="hint" data-figure="spend-percent">
                {((Number(month.totals.cost) / capValue) * 100).toFixed(1)}% of the cap used
              </dd>
            ) : null}
          </div>
        </dl>
        {month ? (
          <div className="dashboard-chart">
            <BarChart
              title="Spend this month, day by day (cumulative), against the monthly cap"
              bars={bars}
              limit={capValue === null ? null : capValue * 100}
              format={(cents) => money(String(Math.round(cents * 1e4) / 1e6), currency)}
            />
          </div>
        ) : null}
        {month && bars.length === 0 ? <p className="hint">Nothing sent this month yet.</p> : null}
      </section>
    </>
  );
}

function RunningCampaign({ id }: { id: string }) {
  const campaign = useCampaign(id);
  if (campaign.isPending) return <p className="loading">Loading…</p>;
  if (campaign.error) return <ProblemMessage error={campaign.error} />;
  const c = campaign.data;
  return (
    <article className="running-campaign" aria-labelledby={`run-${id}`}>
      <h3 id={`run-${id}`}>
        <Link href={`/campaigns/${id}`}>{c.name}</Link>{' '}
        <span className={`status status-${c.status}`}>{STATUS_LABEL[c.status] ?? c.status}</span>
      </h3>
      <CampaignFigures campaign={c} headingLevel={3} />
    </article>
  );
}

/** Pages of the campaign list read to find the active ones (the API lists oldest first, without a status filter). */
const CAMPAIGN_PAGES = 5;

async function activeCampaigns() {
  const found: { id: string; name: string }[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < CAMPAIGN_PAGES; page++) {
    const res = await must(api.GET('/v1/campaigns', { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
    found.push(...res.data.filter((c) => c.status === 'running' || c.status === 'scheduled' || c.status === 'paused'));
    if (!res.nextCursor) break;
    cursor = res.nextCursor;
  }
  return found;
}

function RunningCampaigns() {
  const active = useQuery({ queryKey: ['campaigns', 'active'], queryFn: activeCampaigns, refetchInterval: 5_000 });
  return (
    <section aria-labelledby="running-title">
      <h2 id="running-title">Running campaigns</h2>
      <ProblemMessage error={active.error} />
      {active.data && active.data.length === 0 ? (
        <p>
          No campaign is running. <Link href="/campaigns/new">Build one</Link>.
        </p>
      ) : null}
      {active.data?.map((c) => (
        <RunningCampaign key={c.id} id={c.id} />
      ))}
    </section>
  );
}

export function DashboardPage() {
  return (
    <>
      <h1>Dashboard</h1>
      <Figures />
      <RunningCampaigns />
    </>
  );
}
