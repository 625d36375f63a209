import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, must } from '../api/client';
import { TextField } from '../components/field';
import { ProblemMessage } from '../components/problem';
import { ContactsNav } from './contacts-nav';
import './contacts.css';

const SOURCES: Record<string, string> = {
  api: 'Added by you',
  inbound_keyword: 'Recipient replied STOP',
};

function AddOptOut() {
  const client = useQueryClient();
  const [phone, setPhone] = useState('');
  const [reason, setReason] = useState('');
  const add = useMutation({
    mutationFn: () => must(api.POST('/v1/opt-outs', { body: { phone, ...(reason.trim() ? { reason } : {}) } })),
    onSuccess: async () => {
      setPhone('');
      setReason('');
      await client.invalidateQueries({ queryKey: ['opt-outs'] });
      await client.invalidateQueries({ queryKey: ['contacts'] });
      await client.invalidateQueries({ queryKey: ['contact-search'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate();
  };
  return (
    <section aria-labelledby="add-opt-out-title">
      <h2 id="add-opt-out-title">Opt a number out</h2>
      <form className="inline-form" onSubmit={submit} noValidate>
        <TextField
          label="Phone number"
          name="phone"
          type="tel"
          value={phone}
          onChange={(e) => setPhone(e.target.value)}
          error={add.error}
          autoComplete="off"
        />
        <TextField label="Reason (optional)" name="reason" value={reason} onChange={(e) => setReason(e.target.value)} error={add.error} />
        <button type="submit" disabled={add.isPending}>
          Opt out
        </button>
      </form>
      <ProblemMessage error={add.error} />
      {add.data ? <p role="status">{add.data.phone} will get no messages from this account.</p> : null}
    </section>
  );
}

function RemoveOptOut({ id, phone }: { id: string; phone: string }) {
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const remove = useMutation({
    mutationFn: () => must(api.DELETE('/v1/opt-outs/{id}', { params: { path: { id } }, body: { reason } })),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['opt-outs'] });
      await client.invalidateQueries({ queryKey: ['contacts'] });
      await client.invalidateQueries({ queryKey: ['contact-search'] });
    },
  });
  if (!open)
    return (
      <button type="button" className="secondary" aria-label={`Remove the opt-out of ${phone}`} onClick={() => setOpen(true)}>
        Remove
      </button>
    );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    remove.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <TextField
        label={`Why may ${phone} be messaged again?`}
        name="reason"
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        error={remove.error}
      />
      <ProblemMessage error={remove.error} />
      <button type="submit" className="danger" disabled={remove.isPending}>
        Remove opt-out
      </button>{' '}
      <button type="button" className="secondary" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </form>
  );
}

export function OptOutsPage() {
  const pages = useInfiniteQuery({
    queryKey: ['opt-outs'],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => must(api.GET('/v1/opt-outs', { params: { query: { limit: 50, cursor: pageParam } } })),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = pages.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <>
      <ContactsNav />
      <h1>Opt-outs</h1>
      <p>Numbers here get no message from this account, whether or not they are contacts; re-importing them does not opt them back in.</p>
      <AddOptOut />
      <section aria-labelledby="opt-outs-title">
        <h2 id="opt-outs-title">Opted-out numbers</h2>
        <ProblemMessage error={pages.error} />
        {pages.data && rows.length === 0 ? <p>No opt-outs.</p> : null}
        {rows.length > 0 ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Phone</th>
                  <th scope="col">How</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Since</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((o) => (
                  <tr key={o.id}>
                    <th scope="row" className="phone">
                      {o.phone ?? '(deleted)'}
                    </th>
                    <td>{SOURCES[o.source] ?? o.source}</td>
                    <td>{o.reason ?? '—'}</td>
                    <td>{new Date(o.createdAt).toLocaleDateString()}</td>
                    <td>{o.source === 'api' ? <RemoveOptOut id={o.id} phone={o.phone ?? 'this number'} /> : null}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {pages.hasNextPage ? (
          <button type="button" className="secondary" onClick={() => void pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
            Show more
          </button>
        ) : null}
      </section>
    </>
  );
}
