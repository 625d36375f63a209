import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, must } from '../api/client';
import { TextArea } from '../components/field';
import { ProblemMessage } from '../components/problem';

const day = (iso: string) => new Date(iso).toLocaleDateString();

/** This account's objection to one announced subprocessor, or the form to make one. */
function Objection({ id, name }: { id: string; name: string }) {
  const client = useQueryClient();
  const key = ['subprocessor-objections', id];
  const objections = useQuery({
    queryKey: key,
    queryFn: () => must(api.GET('/v1/subprocessors/{id}/objections', { params: { path: { id } } })),
  });
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const object = useMutation({
    mutationFn: () => must(api.POST('/v1/subprocessors/{id}/objections', { params: { path: { id } }, body: { reason: reason.trim() } })),
    onSuccess: async () => {
      setOpen(false);
      await client.invalidateQueries({ queryKey: key });
    },
  });
  const mine = objections.data?.data[0];
  if (objections.error) return <ProblemMessage error={objections.error} />;
  if (mine)
    return (
      <span>
        Objected {day(mine.createdAt)}: {mine.status === 'open' ? 'open, under review' : mine.status}
      </span>
    );
  if (!objections.data) return <span className="hint">Loading…</span>;
  if (!open)
    return (
      <button type="button" className="secondary" onClick={() => setOpen(true)}>
        Object to {name}
      </button>
    );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    object.mutate();
  };
  return (
    <form onSubmit={submit} noValidate className="objection-form">
      <TextArea
        label={`Why do you object to ${name}?`}
        name="reason"
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        error={object.error}
        rows={3}
        hint="While your objection is unresolved, your account’s data never reaches this subprocessor."
      />
      <ProblemMessage error={object.error} />
      <button type="submit" disabled={object.isPending}>
        {object.isPending ? 'Sending…' : 'Send objection'}
      </button>{' '}
      <button type="button" className="secondary" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </form>
  );
}

/** Every subprocessor: active ones, and announced ones (pending until their date) that the account may object to. */
export function Subprocessors() {
  const list = useQuery({ queryKey: ['subprocessors'], queryFn: () => must(api.GET('/v1/subprocessors')) });
  const rows = list.data?.data ?? [];
  return (
    <section aria-labelledby="subprocessors-title">
      <h2 id="subprocessors-title">Subprocessors</h2>
      <p>
        The companies that process data for us. A new one is announced 30 days before we start using it; until then you may object, and
        while an objection is unresolved your data never reaches it.
      </p>
      <ProblemMessage error={list.error} />
      {list.isPending ? <p className="hint">Loading…</p> : null}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Purpose</th>
              <th scope="col">Locations</th>
              <th scope="col">Recipients’ data</th>
              <th scope="col">Status</th>
              <th scope="col">Objection</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr key={s.id}>
                <th scope="row">{s.name}</th>
                <td>{s.purpose}</td>
                <td>{s.locations.join(', ')}</td>
                <td>{s.recipientData ? 'Yes' : 'No'}</td>
                <td>
                  {s.status === 'active' ? `In use since ${day(s.activatedAt ?? s.effectiveAt)}` : `Announced, from ${day(s.effectiveAt)}`}
                </td>
                <td>{s.status === 'pending' ? <Objection id={s.id} name={s.name} /> : <span className="hint">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
