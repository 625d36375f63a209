import { useInfiniteQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api, must } from '../api/client';
import { ProblemMessage } from '../components/problem';
import type { PageRoute } from '../routes';
import { CampaignBuilderPage } from './campaigns-builder';
import { CampaignDetailPage } from './campaigns-detail';
import { STATUS_LABEL } from './campaigns-progress';
import './campaigns.css';

/** The account's campaigns (oldest first, as the API lists them), a page of 50 at a time. */
function CampaignsPage() {
  const campaigns = useInfiniteQuery({
    queryKey: ['campaigns', 'list'],
    queryFn: ({ pageParam }) =>
      must(api.GET('/v1/campaigns', { params: { query: { limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = campaigns.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <>
      <div className="page-head">
        <h1>Campaigns</h1>
        <Link href="/campaigns/new" className="button">
          New campaign
        </Link>
      </div>
      <ProblemMessage error={campaigns.error} />
      {campaigns.isPending ? <p className="loading">Loading…</p> : null}
      {campaigns.isSuccess && rows.length === 0 ? <p>No campaigns yet. Build one with “New campaign”.</p> : null}
      {rows.length > 0 ? (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Campaigns</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Sender</th>
                <th scope="col">Rate</th>
                <th scope="col">Launched</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.id}>
                  <th scope="row">
                    <Link href={`/campaigns/${c.id}`}>{c.name}</Link>
                  </th>
                  <td>
                    <span className={`status status-${c.status}`}>{STATUS_LABEL[c.status] ?? c.status}</span>
                  </td>
                  <td>{c.from}</td>
                  <td>{c.ratePerSecond}/s</td>
                  <td>{c.launchedAt ? new Date(c.launchedAt).toLocaleString() : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {campaigns.hasNextPage ? (
        <button type="button" className="secondary" disabled={campaigns.isFetchingNextPage} onClick={() => void campaigns.fetchNextPage()}>
          {campaigns.isFetchingNextPage ? 'Loading…' : 'Show more'}
        </button>
      ) : null}
    </>
  );
}

// /campaigns/new before /campaigns/:id: the first route that matches wins.
export const campaignRoutes: PageRoute[] = [
  { path: '/campaigns', component: CampaignsPage },
  { path: '/campaigns/new', component: CampaignBuilderPage },
  { path: '/campaigns/:id/edit', component: CampaignBuilderPage },
  { path: '/campaigns/:id', component: CampaignDetailPage },
];
