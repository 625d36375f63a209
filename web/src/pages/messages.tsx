import { useInfiniteQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { api, must } from '../api/client';
import type { paths } from '../api/schema';
import { SelectField, TextField } from '../components/field';
import { ProblemMessage } from '../components/problem';
import type { PageRoute } from '../routes';
import { MessagePage } from './messages-detail';
import { carrierName, STATUS_LABELS } from './messages-labels';
import './messages.css';

type ListQuery = NonNullable<paths['/v1/messages']['get']['parameters']['query']>;
type Status = NonNullable<ListQuery['status']>;

interface Filters {
  status: Status | '';
  direction: 'outbound' | 'inbound' | '';
  to: string;
  from: string;
  createdAfter: string;
  createdBefore: string;
}

const NO_FILTERS: Filters = { status: '', direction: '', to: '', from: '', createdAfter: '', createdBefore: '' };

/** The filters as the API's query: empty ones left out, dates (local midnight) as ISO instants. */
function toQuery(f: Filters): Omit<ListQuery, 'limit' | 'cursor'> {
  return {
    ...(f.status ? { status: f.status } : {}),
    ...(f.direction ? { direction: f.direction } : {}),
    ...(f.to.trim() ? { to: f.to.trim() } : {}),
    ...(f.from.trim() ? { from: f.from.trim() } : {}),
    ...(f.createdAfter ? { createdAfter: new Date(`${f.createdAfter}T00:00:00`).toISOString() } : {}),
    ...(f.createdBefore ? { createdBefore: new Date(`${f.createdBefore}T00:00:00`).toISOString() } : {}),
  };
}

function FilterForm({ applied, apply }: { applied: Filters; apply: (f: Filters) => void }) {
  const [draft, setDraft] = useState(applied);
  const set = (key: keyof Filters) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [key]: e.target.value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply(draft);
  };
  return (
    <form className="filters" onSubmit={submit} noValidate aria-label="Filter messages">
      <SelectField label="Status" name="status" value={draft.status} onChange={set('status')}>
        <option value="">Any status</option>
        {Object.entries(STATUS_LABELS).map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </SelectField>
      <SelectField label="Direction" name="direction" value={draft.direction} onChange={set('direction')}>
        <option value="">Both</option>
        <option value="outbound">Outbound</option>
        <option value="inbound">Inbound</option>
      </SelectField>
      <TextField label="To" name="to" type="tel" value={draft.to} onChange={set('to')} autoComplete="off" />
      <TextField label="From" name="from" type="tel" value={draft.from} onChange={set('from')} autoComplete="off" />
      <TextField label="Created on or after" name="createdAfter" type="date" value={draft.createdAfter} onChange={set('createdAfter')} />
      <TextField label="Created before" name="createdBefore" type="date" value={draft.createdBefore} onChange={set('createdBefore')} />
      <div className="filter-actions">
        <button type="submit">Apply filters</button>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setDraft(NO_FILTERS);
            apply(NO_FILTERS);
          }}
        >
          Reset
        </button>
      </div>
    </form>
  );
}

function MessagesPage() {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const query = toQuery(filters);
  const pages = useInfiniteQuery({
    queryKey: ['messages', query],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => must(api.GET('/v1/messages', { params: { query: { ...query, limit: 50, cursor: pageParam } } })),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = pages.data?.pages.flatMap((p) => p.data) ?? [];
  const filtered = Object.keys(query).length > 0;
  return (
    <>
      <h1>Messages</h1>
      <FilterForm applied={filters} apply={setFilters} />
      <section aria-labelledby="log-title">
        <h2 id="log-title">Message log</h2>
        <ProblemMessage error={pages.error} />
        {pages.isPending ? <p className="loading">Loading…</p> : null}
        {pages.data ? (
          <p role="status" className="hint">
            {rows.length === 0
              ? filtered
                ? 'No message matches these filters.'
                : 'No messages yet.'
              : `${rows.length.toLocaleString()}${pages.hasNextPage ? '+' : ''}${rows.length === 1 ? ' message' : ' messages'}${filtered ? (rows.length === 1 ? ' matches' : ' match') : ''}, newest first.`}
          </p>
        ) : null}
        {rows.length > 0 ? (
          <div className="table-wrap">
            <table className="message-log">
              <thead>
                <tr>
                  <th scope="col">Created</th>
                  <th scope="col">To</th>
                  <th scope="col">From</th>
                  <th scope="col">Status</th>
                  <th scope="col">Segments</th>
                  <th scope="col">Carrier</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((m) => (
                  <tr key={m.id}>
                    <th scope="row">
                      <Link href={`/messages/${m.id}`}>{new Date(m.createdAt).toLocaleString()}</Link>
                    </th>
                    <td className="phone">{m.to ?? '—'}</td>
                    <td className="phone">{m.from ?? '—'}</td>
                    <td>
                      <span className={`status status-${m.status}`}>{STATUS_LABELS[m.status]}</span>
                    </td>
                    <td>{m.segments}</td>
                    <td>{carrierName(m.carrier)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {pages.hasNextPage ? (
          <button type="button" className="secondary" onClick={() => void pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
            {pages.isFetchingNextPage ? 'Loading…' : 'Show more'}
          </button>
        ) : null}
      </section>
    </>
  );
}

export const messageRoutes: PageRoute[] = [
  { path: '/messages', component: MessagesPage },
  { path: '/messages/:id', component: MessagePage },
];
