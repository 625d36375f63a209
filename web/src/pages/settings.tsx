import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { api, must } from '../api/client';
import { useConsentChoice, useConsents } from '../components/consent-banner';
import { TextField } from '../components/field';
import { ProblemMessage } from '../components/problem';
import { sessionChanged } from '../session';

function Profile() {
  const client = useQueryClient();
  const profile = useQuery({ queryKey: ['profile'], queryFn: () => must(api.GET('/v1/account/profile')) });
  const [name, setName] = useState('');
  const [country, setCountry] = useState('');
  const [taxId, setTaxId] = useState('');
  useEffect(() => {
    if (!profile.data) return;
    setName(profile.data.name ?? '');
    setCountry(profile.data.country ?? '');
    setTaxId(profile.data.taxId ?? '');
  }, [profile.data]);
  const save = useMutation({
    mutationFn: () =>
      must(
        api.PATCH('/v1/account/profile', {
          body: { name: name.trim() || null, country: country.trim().toUpperCase() || null, taxId: taxId.trim() || null },
        }),
      ),
    onSuccess: async (data) => {
      client.setQueryData(['profile'], data);
      await client.invalidateQueries({ queryKey: ['consents'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <section aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <ProblemMessage error={profile.error} />
      {profile.data ? <p>Signed in as {profile.data.email}</p> : null}
      <form onSubmit={submit} noValidate>
        <TextField label="Name" name="name" value={name} onChange={(e) => setName(e.target.value)} error={save.error} autoComplete="name" />
        <TextField
          label="Country"
          name="country"
          value={country}
          onChange={(e) => setCountry(e.target.value)}
          error={save.error}
          hint="Two letters, e.g. DE or US. In the EU, EEA and UK analytics stay off until you accept them."
          maxLength={2}
          autoComplete="country"
        />
        <TextField label="Tax ID" name="taxId" value={taxId} onChange={(e) => setTaxId(e.target.value)} error={save.error} />
        <ProblemMessage error={save.error} />
        <button type="submit" disabled={save.isPending}>
          Save profile
        </button>
        {save.isSuccess ? <span role="status"> Saved.</span> : null}
      </form>
    </section>
  );
}

const PURPOSES = {
  product_analytics: 'Pseudonymous product analytics (PostHog)',
  marketing_email: 'Product news and offers by email',
} as const;

function Consents() {
  const consents = useConsents();
  const choose = useConsentChoice();
  // The box shows a choice at once, in the click's own render, until the server's answer replaces it.
  const [saving, setSaving] = useState<Partial<Record<keyof typeof PURPOSES, boolean>>>({});
  const decide = (purpose: keyof typeof PURPOSES, granted: boolean) => {
    setSaving((s) => ({ ...s, [purpose]: granted }));
    choose.mutate({ [purpose]: granted }, { onSettled: () => setSaving((s) => ({ ...s, [purpose]: undefined })) });
  };
  return (
    <section aria-labelledby="consents-title">
      <h2 id="consents-title">Privacy choices</h2>
      <ProblemMessage error={consents.error ?? choose.error} />
      <ul className="plain">
        {(consents.data?.data ?? []).map((c) => (
          <li key={c.purpose}>
            <label>
              <input
                type="checkbox"
                checked={saving[c.purpose] ?? c.granted}
                disabled={choose.isPending}
                onChange={(e) => decide(c.purpose, e.target.checked)}
              />{' '}
              {PURPOSES[c.purpose]}
            </label>{' '}
            <span className="hint">
              {c.source === 'default'
                ? '(not chosen yet: the default for your country)'
                : `(chosen ${new Date(c.recordedAt ?? '').toLocaleString()})`}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Sessions() {
  const client = useQueryClient();
  const sessions = useQuery({ queryKey: ['sessions'], queryFn: () => must(api.GET('/v1/sessions')) });
  const revoke = useMutation({
    mutationFn: (id: string) => must(api.DELETE('/v1/sessions/{id}', { params: { path: { id } } })),
    onSuccess: async (_data, id) => {
      if (sessions.data?.data.find((s) => s.id === id)?.current) await sessionChanged(client);
      else await client.invalidateQueries({ queryKey: ['sessions'] });
    },
  });
  const revokeAll = useMutation({ mutationFn: () => must(api.DELETE('/v1/sessions')), onSuccess: () => sessionChanged(client) });
  return (
    <section aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      <ProblemMessage error={sessions.error ?? revoke.error ?? revokeAll.error} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Address</th>
              <th scope="col">Signed in</th>
              <th scope="col">Last seen</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(sessions.data?.data ?? []).map((s) => (
              <tr key={s.id}>
                <td>
                  {s.userAgentFamily ?? (s.kind === 'token' ? 'API key token' : 'Unknown')} {s.current ? <strong>(this one)</strong> : null}
                </td>
                <td>{s.addressPrefix ?? '—'}</td>
                <td>{new Date(s.createdAt).toLocaleString()}</td>
                <td>{s.lastSeenAt ? new Date(s.lastSeenAt).toLocaleString() : '—'}</td>
                <td>
                  <button type="button" onClick={() => revoke.mutate(s.id)} disabled={revoke.isPending}>
                    {s.current ? 'Sign out' : 'Revoke'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <button type="button" onClick={() => revokeAll.mutate()} disabled={revokeAll.isPending}>
        Sign out everywhere
      </button>
    </section>
  );
}

export function SettingsPage() {
  return (
    <>
      <h1>Settings</h1>
      <Profile />
      <Consents />
      <Sessions />
    </>
  );
}
