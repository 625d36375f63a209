import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { api, must } from '../api/client';
import type { paths } from '../api/schema';
import { TextField } from '../components/field';
import { fieldError, ProblemMessage } from '../components/problem';
import type { PageRoute } from '../routes';
import { DeliveriesPage } from './developers-deliveries';
import { ConfirmButton, OnceSecret } from './developers-secret';
import './developers.css';

type Scope = paths['/v1/api-keys']['post']['requestBody']['content']['application/json']['scopes'] extends (infer S)[] | undefined
  ? S
  : never;
type EventType = paths['/v1/webhook-endpoints']['post']['requestBody']['content']['application/json']['eventTypes'][number];

const SCOPES: { scope: Scope; text: string }[] = [
  { scope: 'read', text: 'read: list and read contacts, messages, usage' },
  { scope: 'write', text: 'write: send messages, change contacts and campaigns' },
  { scope: 'admin', text: 'admin: keys, webhooks, billing and account settings' },
];

export const EVENT_TYPES: { type: EventType; text: string }[] = [
  { type: 'message.status', text: 'message.status: a message was sent, delivered or failed' },
  { type: 'message.inbound', text: 'message.inbound: a reply arrived' },
  { type: 'campaign.started', text: 'campaign.started' },
  { type: 'campaign.paused', text: 'campaign.paused' },
  { type: 'campaign.completed', text: 'campaign.completed' },
  { type: 'campaign.cancelled', text: 'campaign.cancelled' },
  { type: 'billing.threshold_reached', text: 'billing.threshold_reached: 50, 80 or 100 % of the spend cap' },
];

const KEYS_QUERY = ['api-keys'] as const;
export const ENDPOINTS_QUERY = ['webhook-endpoints'] as const;

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

function toggle<T>(list: T[], item: T, on: boolean): T[] {
  return on ? [...list.filter((x) => x !== item), item] : list.filter((x) => x !== item);
}

/** A fieldset of checkboxes with the API's reason for the whole list under it. */
function Choices<T extends string>({
  legend,
  name,
  options,
  chosen,
  onChange,
  error,
}: {
  legend: string;
  name: string;
  options: { value: T; text: string }[];
  chosen: T[];
  onChange: (next: T[]) => void;
  error: unknown;
}) {
  const reason = fieldError(error, name);
  const errorId = `${name}-choices-error`;
  return (
    <fieldset className="choices" aria-describedby={reason ? errorId : undefined}>
      <legend>{legend}</legend>
      {options.map((o) => (
        <label key={o.value}>
          <input type="checkbox" checked={chosen.includes(o.value)} onChange={(e) => onChange(toggle(chosen, o.value, e.target.checked))} />{' '}
          {o.text}
        </label>
      ))}
      {reason ? (
        <div className="field-error" id={errorId} role="alert">
          {reason}
        </div>
      ) : null}
    </fieldset>
  );
}

function ApiKeys() {
  const client = useQueryClient();
  const keys = useQuery({ queryKey: KEYS_QUERY, queryFn: () => must(api.GET('/v1/api-keys', { params: { query: { limit: 200 } } })) });
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['read', 'write']);
  // The secret only here, in this component's state: gone when the page is left.
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const create = useMutation({
    gcTime: 0,
    mutationFn: () => must(api.POST('/v1/api-keys', { body: { name: name.trim(), scopes } })),
    onSuccess: async (data) => {
      setCreated({ name: data.name, key: data.key });
      setName('');
      // Drop the answer (with its secret) from the mutation cache at once.
      create.reset();
      await client.invalidateQueries({ queryKey: KEYS_QUERY });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => must(api.DELETE('/v1/api-keys/{id}', { params: { path: { id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: KEYS_QUERY }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    create.mutate();
  };
  const error = create.error;
  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      {created ? <OnceSecret title={`New API key “${created.name}”`} secret={created.key} onDone={() => setCreated(null)} /> : null}
      <form onSubmit={submit} noValidate className="developers-form">
        <TextField label="Key name" name="name" value={name} onChange={(e) => setName(e.target.value)} error={error} maxLength={100} />
        <Choices
          legend="Scopes"
          name="scopes"
          options={SCOPES.map((s) => ({ value: s.scope, text: s.text }))}
          chosen={scopes}
          onChange={setScopes}
          error={error}
        />
        <ProblemMessage error={create.error} />
        <button type="submit" disabled={create.isPending}>
          Create key
        </button>
      </form>
      <ProblemMessage error={keys.error ?? revoke.error} />
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">API keys</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Scopes</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(keys.data?.data ?? []).map((k) => (
              <tr key={k.id}>
                <th scope="row">{k.name}</th>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>{k.scopes.join(', ')}</td>
                <td>{when(k.createdAt)}</td>
                <td>{when(k.lastUsedAt)}</td>
                <td>{k.revokedAt ? `Revoked ${when(k.revokedAt)}` : 'Active'}</td>
                <td>
                  {k.revokedAt ? null : (
                    <ConfirmButton
                      label="Revoke"
                      question={`Revoke “${k.name}”? Requests with it fail at once.`}
                      confirmLabel="Revoke now"
                      onConfirm={() => revoke.mutate(k.id)}
                      disabled={revoke.isPending}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function WebhookEndpoints() {
  const client = useQueryClient();
  const endpoints = useQuery({
    queryKey: ENDPOINTS_QUERY,
    queryFn: () => must(api.GET('/v1/webhook-endpoints', { params: { query: { limit: 200 } } })),
  });
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<EventType[]>(['message.status']);
  const [secret, setSecret] = useState<{ title: string; value: string } | null>(null);
  const create = useMutation({
    gcTime: 0,
    mutationFn: () =>
      must(
        api.POST('/v1/webhook-endpoints', {
          body: { url: url.trim(), eventTypes: events, ...(description.trim() ? { description: description.trim() } : {}) },
        }),
      ),
    onSuccess: async (data) => {
      setSecret({ title: `Signing secret for ${data.url}`, value: data.secret });
      setUrl('');
      setDescription('');
      create.reset();
      await client.invalidateQueries({ queryKey: ENDPOINTS_QUERY });
    },
  });
  const rotate = useMutation({
    gcTime: 0,
    mutationFn: (id: string) => must(api.POST('/v1/webhook-endpoints/{id}/rotate-secret', { params: { path: { id } } })),
    onSuccess: (data) => {
      setSecret({ title: `New signing secret for ${data.url}`, value: data.secret });
      rotate.reset();
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => must(api.DELETE('/v1/webhook-endpoints/{id}', { params: { path: { id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ENDPOINTS_QUERY }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSecret(null);
    create.mutate();
  };
  const error = create.error;
  return (
    <section aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">Webhook endpoints</h2>
      {secret ? <OnceSecret title={secret.title} secret={secret.value} onDone={() => setSecret(null)} /> : null}
      <form onSubmit={submit} noValidate className="developers-form">
        <TextField
          label="Endpoint URL"
          name="url"
          type="url"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          error={error}
          hint="https, on a public address. Each event is signed (Standard Webhooks) with the endpoint's secret."
        />
        <TextField
          label="Description (optional)"
          name="description"
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          error={error}
        />
        <Choices
          legend="Events"
          name="eventTypes"
          options={EVENT_TYPES.map((t) => ({ value: t.type, text: t.text }))}
          chosen={events}
          onChange={setEvents}
          error={error}
        />
        <ProblemMessage error={create.error} />
        <button type="submit" disabled={create.isPending}>
          Add endpoint
        </button>
      </form>
      <ProblemMessage error={endpoints.error ?? rotate.error ?? remove.error} />
      {endpoints.data && endpoints.data.data.length === 0 ? <p>No webhook endpoints yet.</p> : null}
      {endpoints.data && endpoints.data.data.length > 0 ? (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Webhook endpoints</caption>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {endpoints.data.data.map((ep) => (
                <tr key={ep.id}>
                  <th scope="row" className="endpoint-url">
                    {ep.url}
                    {ep.description ? <div className="hint">{ep.description}</div> : null}
                  </th>
                  <td>{ep.eventTypes.join(', ')}</td>
                  <td>{ep.status === 'active' ? 'Active' : `Disabled${ep.disabledReason ? ` (${ep.disabledReason})` : ''}`}</td>
                  <td>{when(ep.createdAt)}</td>
                  <td className="row-actions">
                    <Link href={`/developers/webhooks/${ep.id}`} aria-label={`Deliveries to ${ep.url}`}>
                      Deliveries
                    </Link>
                    <ConfirmButton
                      label="Rotate secret"
                      question="Replace the signing secret? The old one stops verifying at once."
                      confirmLabel="Rotate now"
                      onConfirm={() => rotate.mutate(ep.id)}
                      disabled={rotate.isPending}
                    />
                    <ConfirmButton
                      label="Delete"
                      question={`Delete ${ep.url} and its deliveries?`}
                      confirmLabel="Delete now"
                      onConfirm={() => remove.mutate(ep.id)}
                      disabled={remove.isPending}
                    />
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

function DevelopersPage() {
  return (
    <>
      <h1>Developers</h1>
      <p>
        Keys for the API (<a href="/openapi.json">OpenAPI description</a>) and the endpoints we post events to.
      </p>
      <ApiKeys />
      <WebhookEndpoints />
    </>
  );
}

export const developerRoutes: PageRoute[] = [
  { path: '/developers', component: DevelopersPage },
  { path: '/developers/webhooks/:id', component: DeliveriesPage },
];
