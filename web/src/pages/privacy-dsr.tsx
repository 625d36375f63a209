import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, must, mustFetch } from '../api/client';
import { SelectField, TextField } from '../components/field';
import { ProblemMessage } from '../components/problem';

const TYPES = {
  access: 'Access (a copy of their data)',
  portability: 'Portability (their data, machine-readable)',
  erasure: 'Erasure (delete their data)',
  restriction: 'Restriction (keep, but stop using)',
  objection: 'Objection (stop messaging them)',
  rectification: 'Rectification (correct their data; done by our staff)',
} as const;
type DsrType = keyof typeof TYPES;

const STATUS = { awaiting_identity: 'Awaiting identity check', open: 'In progress', completed: 'Completed' } as const;
const DSR_QUERY = ['data-subject-requests'] as const;

/** Saves a JSON answer as a file the browser downloads (no new window, nothing inline). */
export async function downloadJson(path: string, filename: string): Promise<void> {
  const response = await mustFetch(path, { headers: { Accept: 'application/json' } });
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}

function NewRequest() {
  const client = useQueryClient();
  const [type, setType] = useState<DsrType>('access');
  const [phone, setPhone] = useState('');
  const create = useMutation({
    mutationFn: () => must(api.POST('/v1/data-subject-requests', { body: { type, phone: phone.trim() } })),
    onSuccess: async () => {
      setPhone('');
      await client.invalidateQueries({ queryKey: DSR_QUERY });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form onSubmit={submit} noValidate aria-labelledby="dsr-new-title">
      <h3 id="dsr-new-title">Record a request</h3>
      <SelectField
        label="What the person asks for"
        name="type"
        value={type}
        onChange={(e) => setType(e.target.value as DsrType)}
        error={create.error}
      >
        {Object.entries(TYPES).map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </SelectField>
      <TextField
        label="Their phone number"
        name="phone"
        type="tel"
        autoComplete="off"
        value={phone}
        onChange={(e) => setPhone(e.target.value)}
        error={create.error}
        hint="The recipient the request is about, e.g. +14155550100."
      />
      <ProblemMessage error={create.error} />
      <button type="submit" disabled={create.isPending}>
        {create.isPending ? 'Recording…' : 'Record request'}
      </button>
      {create.isSuccess ? (
        <p role="status">
          Recorded. It is due {new Date(create.data.dueAt).toLocaleDateString()}; we act on it at once where the product can.
        </p>
      ) : null}
    </form>
  );
}

/** Data subject requests about the account's recipients: record one, follow them to their due date. */
export function DataSubjectRequests() {
  const list = useQuery({
    queryKey: DSR_QUERY,
    queryFn: () => must(api.GET('/v1/data-subject-requests', { params: { query: { limit: 50 } } })),
    // A request is acted on by a background process: follow it while one is still running.
    refetchInterval: (q) => (q.state.data?.data.some((r) => r.status !== 'completed') ? 5_000 : false),
  });
  const download = useMutation({
    mutationFn: (id: string) => downloadJson(`/v1/data-subject-requests/${id}/export`, `data-subject-request-${id}.json`),
  });
  const rows = list.data?.data ?? [];
  return (
    <section aria-labelledby="dsr-title">
      <h2 id="dsr-title">Data subject requests</h2>
      <p>
        When one of your recipients asks to see, move, correct or delete their data, record it here. Each request is due 30 days after you
        receive it; access, portability, erasure, restriction and objection are carried out automatically.
      </p>
      <NewRequest />
      <h3>Your requests</h3>
      <ProblemMessage error={list.error ?? download.error} />
      {rows.length === 0 && list.isSuccess ? <p>No requests yet.</p> : null}
      {rows.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Subject</th>
                <th scope="col">Status</th>
                <th scope="col">Received</th>
                <th scope="col">Due</th>
                <th scope="col">
                  <span className="visually-hidden">Export</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <th scope="row">{r.type}</th>
                  <td>{r.subject?.phone ?? (r.subject?.contactId ? 'a contact' : '—')}</td>
                  <td>{STATUS[r.status]}</td>
                  <td>{new Date(r.receivedAt).toLocaleDateString()}</td>
                  <td>
                    {new Date(r.dueAt).toLocaleDateString()}
                    {r.overdue ? <strong> (overdue)</strong> : null}
                  </td>
                  <td>
                    {r.status === 'completed' && (r.type === 'access' || r.type === 'portability') ? (
                      <button type="button" className="secondary" onClick={() => download.mutate(r.id)} disabled={download.isPending}>
                        Download export
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
