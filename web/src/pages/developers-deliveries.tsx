import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'wouter';
import { api, must } from '../api/client';
import { ProblemMessage } from '../components/problem';
import './developers.css';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

const STATUS_TEXT = { pending: 'Pending', delivered: 'Delivered', failed: 'Failed' } as const;

/** One endpoint's deliveries, newest first, each with its attempts; refreshes while any is pending. */
export function DeliveriesPage() {
  const { id } = useParams<{ id: string }>();
  const endpoint = useQuery({
    queryKey: ['webhook-endpoints', id],
    queryFn: () => must(api.GET('/v1/webhook-endpoints/{id}', { params: { path: { id } } })),
  });
  const deliveries = useInfiniteQuery({
    queryKey: ['webhook-endpoints', id, 'deliveries'],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      must(api.GET('/v1/webhook-endpoints/{id}/deliveries', { params: { path: { id }, query: { limit: 50, cursor: pageParam } } })),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: (query) => (query.state.data?.pages.some((p) => p.data.some((d) => d.status === 'pending')) ? 2000 : false),
  });
  const rows = deliveries.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <>
      <p>
        <Link href="/developers">← Developers</Link>
      </p>
      <h1>Webhook deliveries</h1>
      <ProblemMessage error={endpoint.error ?? deliveries.error} />
      {endpoint.data ? (
        <p>
          To <code className="endpoint-url">{endpoint.data.url}</code> ({endpoint.data.eventTypes.join(', ')})
        </p>
      ) : null}
      <button type="button" className="secondary" onClick={() => void deliveries.refetch()} disabled={deliveries.isFetching}>
        {deliveries.isFetching ? 'Refreshing…' : 'Refresh'}
      </button>
      {deliveries.data && rows.length === 0 ? <p>No deliveries yet. Events this endpoint subscribes to will show here.</p> : null}
      {rows.length > 0 ? (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Deliveries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Created</th>
                <th scope="col">Finished or next try</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={d.id}>
                  <th scope="row">
                    <code>{d.id}</code>
                  </th>
                  <td>{d.eventType}</td>
                  <td>{STATUS_TEXT[d.status]}</td>
                  <td>
                    {d.attempts.length === 0 ? (
                      'None yet'
                    ) : (
                      <details>
                        <summary>
                          {d.attemptCount} {d.attemptCount === 1 ? 'attempt' : 'attempts'}, last{' '}
                          {d.lastStatusCode !== null ? `HTTP ${d.lastStatusCode}` : (d.lastError ?? '—')}
                        </summary>
                        <ol className="attempts">
                          {d.attempts.map((a) => (
                            <li key={a.attempt}>
                              {when(a.at)}: {a.statusCode !== null ? `HTTP ${a.statusCode}` : (a.error ?? 'no answer')} in {a.durationMs} ms
                            </li>
                          ))}
                        </ol>
                      </details>
                    )}
                  </td>
                  <td>{when(d.createdAt)}</td>
                  <td>{d.status === 'pending' ? `next ${when(d.nextAttemptAt)}` : when(d.completedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {deliveries.hasNextPage ? (
        <button
          type="button"
          className="secondary"
          onClick={() => void deliveries.fetchNextPage()}
          disabled={deliveries.isFetchingNextPage}
        >
          {deliveries.isFetchingNextPage ? 'Loading…' : 'Show older deliveries'}
        </button>
      ) : null}
    </>
  );
}
