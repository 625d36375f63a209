import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, must } from '../api/client';
import { TextField } from '../components/field';
import { ProblemMessage } from '../components/problem';

const when = (iso: string) => new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric' });

function Explanation() {
  return (
    <ul>
      <li>At once: every API key is revoked, everyone is signed out, queued messages are cancelled and campaigns stop.</li>
      <li>
        Then a 30-day grace period: your data is kept (sealed) so that you can take it with you, and our support can still reactivate the
        account if this was a mistake.
      </li>
      <li>
        With “Export, then delete”, a signed link to download all of the account’s data (contacts with their opt-in records, lists,
        opt-outs, message metadata, as NDJSON) is emailed to the account owner.
      </li>
      <li>
        By the end of the 30 days at the latest, the account’s data is deleted and its encryption key destroyed, and a signed deletion
        certificate is emailed to the owner. The termination email also lets you confirm deletion earlier.
      </li>
      <li>Billing records the law requires us to keep are kept, without your recipients’ data.</li>
    </ul>
  );
}

/** Terminating the account: explained, then confirmed by typing the account's name; never one click. */
export function Termination({ accountName }: { accountName: string }) {
  const [open, setOpen] = useState(false);
  const [disposition, setDisposition] = useState<'return_then_delete' | 'delete'>('return_then_delete');
  const [deleteEarly, setDeleteEarly] = useState(false);
  const [typed, setTyped] = useState('');
  const terminate = useMutation({
    mutationFn: () => must(api.POST('/v1/account/termination', { body: { disposition, deleteEarly } })),
  });
  const confirmed = typed.trim() === accountName;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (confirmed) terminate.mutate();
  };

  if (terminate.data) {
    const t = terminate.data;
    return (
      <section aria-labelledby="termination-title">
        <h2 id="termination-title">Account terminated</h2>
        <div role="status">
          <p>
            {accountName} is terminated. {t.deleteEarly ? 'Deletion begins now' : `Its data will be deleted by ${when(t.deleteBy)}`}; the
            signed deletion certificate will be emailed to the owner.
          </p>
          {t.disposition === 'return_then_delete' ? (
            <p>The link to download the account’s data is on its way to the owner’s email.</p>
          ) : null}
          <p>You have been signed out of this account.</p>
        </div>
        <button type="button" onClick={() => window.dispatchEvent(new Event('massivesms:signed-out'))}>
          Leave the console
        </button>
      </section>
    );
  }

  return (
    <section aria-labelledby="termination-title">
      <h2 id="termination-title">Terminate the account</h2>
      <p>Ending your contract with us. What happens:</p>
      <Explanation />
      {!open ? (
        <button type="button" className="danger" onClick={() => setOpen(true)}>
          Terminate account…
        </button>
      ) : (
        <form onSubmit={submit} noValidate className="termination-form" aria-labelledby="termination-confirm-title">
          <h3 id="termination-confirm-title">Confirm termination</h3>
          <fieldset>
            <legend>Your data</legend>
            <label className="choice">
              <input
                type="radio"
                name="disposition"
                value="return_then_delete"
                checked={disposition === 'return_then_delete'}
                onChange={() => setDisposition('return_then_delete')}
              />{' '}
              Export, then delete: email me a link to download everything first
            </label>
            <label className="choice">
              <input
                type="radio"
                name="disposition"
                value="delete"
                checked={disposition === 'delete'}
                onChange={() => setDisposition('delete')}
              />{' '}
              Delete without an export
            </label>
          </fieldset>
          <label className="choice">
            <input type="checkbox" checked={deleteEarly} onChange={(e) => setDeleteEarly(e.target.checked)} /> Start deleting now, without
            the 30-day grace (this cannot be undone)
          </label>
          <TextField
            label={`Type the account name, ${accountName}, to confirm`}
            name="confirmation"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            autoComplete="off"
          />
          <ProblemMessage error={terminate.error} />
          <button type="submit" className="danger" disabled={!confirmed || terminate.isPending}>
            {terminate.isPending ? 'Terminating…' : 'Terminate this account'}
          </button>{' '}
          <button type="button" className="secondary" onClick={() => setOpen(false)}>
            Keep the account
          </button>
        </form>
      )}
    </section>
  );
}
