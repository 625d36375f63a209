import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { Link, useLocation, useParams } from 'wouter';
import { api, must } from '../api/client';
import { SelectField, TextArea, TextField } from '../components/field';
import { fieldError, ProblemMessage } from '../components/problem';
// The server's own template and segment rules (pure modules), so the live preview is what the API renders.
import { renderTemplate, scanTemplate } from '../../../lib/campaign-template';
import { analyzeSms } from '../../../lib/sms/encoding';
import { campaignKey, fetchCampaign } from './campaigns-progress';
import './campaigns.css';

/** Sender numbers a campaign may send from (the API refuses the others). */
const SENDABLE = ['active', 'failover_pending'];

interface Draft {
  name: string;
  template: string;
  from: string;
  listIds: string[];
  excludeListIds: string[];
  rate: string;
  quietStart: string;
  quietEnd: string;
  startAt: string;
}

const EMPTY: Draft = {
  name: '',
  template: '',
  from: '',
  listIds: [],
  excludeListIds: [],
  rate: '10',
  quietStart: '08:00',
  quietEnd: '21:00',
  startAt: '',
};

/** An ISO instant as a datetime-local value in the browser's zone. */
function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (v: number) => String(v).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function bodyOf(d: Draft) {
  return {
    name: d.name.trim(),
    template: d.template,
    from: d.from,
    audience: { listIds: d.listIds, excludeListIds: d.excludeListIds },
    ratePerSecond: Number(d.rate),
    quietHours: { start: d.quietStart, end: d.quietEnd },
    startAt: d.startAt ? new Date(d.startAt).toISOString() : null,
  };
}

function toggle(ids: string[], id: string, on: boolean): string[] {
  return on ? [...ids.filter((x) => x !== id), id] : ids.filter((x) => x !== id);
}

/** The message as the chosen contact would get it, with characters, encoding and segments, as the holder types. */
function LivePreview({ template, listId }: { template: string; listId: string | undefined }) {
  const sampleId = useId();
  const contacts = useQuery({
    queryKey: ['list-contacts', listId],
    queryFn: () => must(api.GET('/v1/lists/{id}/contacts', { params: { path: { id: listId! }, query: { limit: 20 } } })),
    enabled: listId !== undefined,
  });
  const [chosen, setChosen] = useState('');
  const sample = contacts.data?.data.find((c) => c.id === chosen) ?? contacts.data?.data[0];
  const parsed = useMemo(() => scanTemplate(template), [template]);
  const body = renderTemplate(parsed, sample ? { name: sample.name, attributes: sample.attributes } : { name: null, attributes: {} });
  const sms = analyzeSms(body);
  const characters = [...body].length; // code points, as the API's preview counts them
  return (
    <section aria-labelledby="live-preview-title" className="live-preview">
      <h2 id="live-preview-title">Preview</h2>
      {contacts.data && contacts.data.data.length > 0 ? (
        <div className="field">
          <label htmlFor={sampleId}>Preview for contact</label>
          <select id={sampleId} value={sample?.id ?? ''} onChange={(e) => setChosen(e.target.value)}>
            {contacts.data.data.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name ?? '(no name)'} · {c.phone}
              </option>
            ))}
          </select>
        </div>
      ) : (
        <p className="hint">
          {listId ? 'This list has no contacts yet.' : 'Choose a list to preview a contact’s message.'} Defaults are shown.
        </p>
      )}
      <p className="sms-bubble" data-testid="preview-body">
        {body || <span className="hint">(empty message)</span>}
      </p>
      <p aria-live="polite" className="sms-meta" data-testid="preview-meta">
        {characters} characters · {sms.encoding} · {sms.segments} {sms.segments === 1 ? 'segment' : 'segments'}
      </p>
      {sms.encoding === 'UCS-2' ? (
        <p className="hint">
          A character outside the GSM-7 alphabet makes the message UCS-2: 70 characters fit in one segment, 67 per segment after.
        </p>
      ) : (
        <p className="hint">GSM-7: 160 characters fit in one segment, 153 per segment after; ^ {'{ }'} [ ] ~ | € \ count twice.</p>
      )}
      {parsed.problems.length > 0 ? (
        <ul className="template-problems" aria-label="Template problems">
          {parsed.problems.map((p) => (
            <li key={`${p.placeholder}-${p.reason}`}>
              {p.placeholder} {p.reason}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function AudienceFieldset({
  legend,
  name,
  lists,
  selected,
  disabledIds,
  onChange,
  error,
}: {
  legend: string;
  name: string;
  lists: { id: string; name: string; size?: number }[];
  selected: string[];
  disabledIds: string[];
  onChange: (ids: string[]) => void;
  error: unknown;
}) {
  const reason = fieldError(error, name);
  const errorId = useId();
  return (
    <fieldset className="audience" aria-describedby={reason ? errorId : undefined}>
      <legend>{legend}</legend>
      {lists.length === 0 ? <p className="hint">No lists yet: create one under Contacts.</p> : null}
      {lists.map((l) => (
        <label key={l.id} className="check">
          <input
            type="checkbox"
            checked={selected.includes(l.id)}
            disabled={disabledIds.includes(l.id)}
            onChange={(e) => onChange(toggle(selected, l.id, e.target.checked))}
          />{' '}
          {l.name}
          {l.size !== undefined ? <span className="hint"> ({l.size.toLocaleString('en-US')} contacts)</span> : null}
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

/** New campaign, or (with an id) a draft edited: saved as a draft, then estimated and launched from its page. */
export function CampaignBuilderPage() {
  const params = useParams<{ id?: string }>();
  const editing = params.id;
  const [, navigate] = useLocation();
  const client = useQueryClient();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  const existing = useQuery({ queryKey: campaignKey(editing ?? ''), queryFn: () => fetchCampaign(editing!), enabled: !!editing });
  useEffect(() => {
    const c = existing.data;
    if (!c) return;
    setDraft({
      name: c.name,
      template: c.template,
      from: c.from,
      listIds: c.audience.listIds,
      excludeListIds: c.audience.excludeListIds,
      rate: String(c.ratePerSecond),
      quietStart: c.quietHours.start,
      quietEnd: c.quietHours.end,
      startAt: toLocalInput(c.startAt),
    });
  }, [existing.data]);

  const lists = useQuery({ queryKey: ['lists', 'all'], queryFn: () => must(api.GET('/v1/lists', { params: { query: { limit: 200 } } })) });
  const senders = useQuery({
    queryKey: ['sender-numbers', 'all'],
    queryFn: () => must(api.GET('/v1/sender-numbers', { params: { query: { limit: 200 } } })),
  });
  const sendable = (senders.data?.data ?? []).filter((s) => SENDABLE.includes(s.status));
  useEffect(() => {
    if (!editing && draft.from === '' && sendable[0]) set('from', sendable[0].phone);
  }, [editing, draft.from, sendable]);

  const save = useMutation({
    mutationFn: () =>
      editing
        ? must(api.PATCH('/v1/campaigns/{id}', { params: { path: { id: editing } }, body: bodyOf(draft) }))
        : must(api.POST('/v1/campaigns', { body: bodyOf(draft) })),
    onSuccess: async (saved) => {
      await client.invalidateQueries({ queryKey: ['campaigns'] });
      await client.invalidateQueries({ queryKey: campaignKey(saved.id) });
      navigate(`/campaigns/${saved.id}`);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const allLists = lists.data?.data ?? [];
  const title = editing ? 'Edit campaign' : 'New campaign';

  return (
    <>
      <p>
        <Link href={editing ? `/campaigns/${editing}` : '/campaigns'}>{editing ? '← Back to the campaign' : '← All campaigns'}</Link>
      </p>
      <h1>{title}</h1>
      <ProblemMessage error={lists.error ?? senders.error ?? existing.error} />
      <form onSubmit={submit} noValidate className="builder">
        <div className="builder-main">
          <TextField
            label="Name"
            name="name"
            value={draft.name}
            onChange={(e) => set('name', e.target.value)}
            error={save.error}
            required
          />
          <TextArea
            label="Message"
            name="template"
            value={draft.template}
            onChange={(e) => set('template', e.target.value)}
            error={save.error}
            rows={5}
            hint={
              <>
                Placeholders: <code>{'{{name}}'}</code>, <code>{'{{attributes.city}}'}</code>; a default for a missing value:{' '}
                <code>{'{{name | "there"}}'}</code>.
              </>
            }
          />
          <AudienceFieldset
            legend="Send to contacts on these lists"
            name="audience.listIds"
            lists={allLists}
            selected={draft.listIds}
            disabledIds={draft.excludeListIds}
            onChange={(ids) => set('listIds', ids)}
            error={save.error}
          />
          {allLists.length > 1 ? (
            <AudienceFieldset
              legend="Leave out contacts on these lists (optional)"
              name="audience.excludeListIds"
              lists={allLists}
              selected={draft.excludeListIds}
              disabledIds={draft.listIds}
              onChange={(ids) => set('excludeListIds', ids)}
              error={save.error}
            />
          ) : null}
          <SelectField
            label="Sender number"
            name="from"
            value={draft.from}
            onChange={(e) => set('from', e.target.value)}
            error={save.error}
          >
            {sendable.length === 0 ? <option value="">No sender number yet</option> : null}
            {sendable.map((s) => (
              <option key={s.id} value={s.phone}>
                {s.phone}
                {s.label ? ` (${s.label})` : ''}
              </option>
            ))}
          </SelectField>
          <TextField
            label="Rate (messages per second)"
            name="ratePerSecond"
            type="number"
            inputMode="numeric"
            min={1}
            value={draft.rate}
            onChange={(e) => set('rate', e.target.value)}
            error={save.error}
          />
          <fieldset className="quiet-hours">
            <legend>Quiet hours: send only between (recipient’s local time)</legend>
            <TextField
              label="From"
              name="quietHours.start"
              type="time"
              value={draft.quietStart}
              onChange={(e) => set('quietStart', e.target.value)}
              error={save.error}
            />
            <TextField
              label="Until"
              name="quietHours.end"
              type="time"
              value={draft.quietEnd}
              onChange={(e) => set('quietEnd', e.target.value)}
              error={save.error}
            />
            <p className="hint">Within 08:00–21:00, never wider.</p>
          </fieldset>
          <TextField
            label="Start time (optional)"
            name="startAt"
            type="datetime-local"
            value={draft.startAt}
            onChange={(e) => set('startAt', e.target.value)}
            error={save.error}
            hint="Empty: it starts when you launch it."
          />
          <ProblemMessage error={save.error} />
          <button type="submit" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save draft and see the estimate'}
          </button>
        </div>
        <LivePreview template={draft.template} listId={draft.listIds[0]} />
      </form>
    </>
  );
}
