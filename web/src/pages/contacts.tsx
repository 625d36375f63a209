import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useLocation } from 'wouter';
import { api, ApiProblem, must } from '../api/client';
import type { paths } from '../api/schema';
import { SelectField, TextField } from '../components/field';
import { ProblemMessage } from '../components/problem';
import { ProgressBar } from '../components/progress';
import type { PageRoute } from '../routes';
import { ImportPage } from './contacts-import';
import { ListsPage } from './contacts-lists';
import { ContactsNav } from './contacts-nav';
import { OptOutsPage } from './contacts-opt-outs';
import { uploadContactsCsv, type UploadProgress } from './contacts-upload';
import './contacts.css';

type Contact = paths['/v1/contacts']['get']['responses'][200]['content']['application/json']['data'][number];

const PAGE = 50;
const SCAN_PAGE = 200;

/** The file's own problems (its header, a column it lacks) are shown beside the file field. */
function asFileProblem(error: unknown): unknown {
  if (!(error instanceof ApiProblem)) return error;
  const aboutFile = (field: string) => field === 'header' || field.startsWith('columns.');
  return new ApiProblem(
    error.status,
    error.title,
    error.detail,
    error.errors.map((e) => (aboutFile(e.field) ? { ...e, field: 'file' } : e)),
  );
}

function Upload() {
  const client = useQueryClient();
  const [, navigate] = useLocation();
  const [file, setFile] = useState<File | null>(null);
  const [country, setCountry] = useState('');
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const upload = useMutation({
    mutationFn: (f: File) => {
      setProgress({ sent: 0, total: f.size });
      const query: Record<string, string> = country.trim() ? { default_country: country.trim().toUpperCase() } : {};
      return uploadContactsCsv(f, query, setProgress);
    },
    onSuccess: async (imp) => {
      await client.invalidateQueries({ queryKey: ['contact-imports'] });
      // The import changes contacts after this answer: what is cached is out of date from now on.
      await client.invalidateQueries({ queryKey: ['contacts'] });
      await client.invalidateQueries({ queryKey: ['contact-search'] });
      navigate(`/contacts/imports/${imp.id}`);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (file) upload.mutate(file);
  };
  const sentAll = progress !== null && progress.sent >= progress.total;
  return (
    <section aria-labelledby="upload-title">
      <h2 id="upload-title">Upload contacts</h2>
      <form onSubmit={submit} noValidate>
        <TextField
          label="CSV file"
          name="file"
          type="file"
          accept=".csv,text/csv"
          hint="A header row, then one contact per row. The phone, name and opt-in columns are found by name; other columns become attributes."
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          error={asFileProblem(upload.error)}
        />
        <TextField
          label="Country for numbers without a country code"
          name="default_country"
          value={country}
          onChange={(e) => setCountry(e.target.value)}
          hint="Two letters, e.g. US or DE (US when empty)."
          maxLength={2}
          autoComplete="off"
          error={upload.error}
        />
        <button type="submit" disabled={!file || upload.isPending}>
          {upload.isPending ? 'Uploading…' : 'Upload'}
        </button>
      </form>
      {upload.isPending && progress ? (
        <>
          <ProgressBar
            label="Upload"
            value={progress.sent}
            max={progress.total || null}
            text={`${formatBytes(progress.sent)} of ${formatBytes(progress.total)} sent`}
          />
          <p role="status">{sentAll ? 'Sent; the server is checking the file…' : 'Sending the file…'}</p>
        </>
      ) : null}
      <ProblemMessage error={upload.error} />
    </section>
  );
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const IMPORT_STATUS: Record<string, string> = {
  receiving: 'Receiving',
  queued: 'Queued',
  running: 'Importing',
  completed: 'Completed',
  failed: 'Failed',
};

function RecentImports() {
  const imports = useQuery({
    queryKey: ['contact-imports'],
    queryFn: () => must(api.GET('/v1/contacts/imports', { params: { query: { limit: 5 } } })),
  });
  const rows = imports.data?.data ?? [];
  if (!imports.error && rows.length === 0) return null;
  return (
    <section aria-labelledby="imports-title">
      <h2 id="imports-title">Recent imports</h2>
      <ProblemMessage error={imports.error} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Status</th>
              <th scope="col">Rows</th>
              <th scope="col">Applied</th>
              <th scope="col">Errors</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((imp) => (
              <tr key={imp.id}>
                <th scope="row">
                  <Link href={`/contacts/imports/${imp.id}`}>{new Date(imp.createdAt).toLocaleString()}</Link>
                </th>
                <td>{IMPORT_STATUS[imp.status] ?? imp.status}</td>
                <td>{imp.totalRows.toLocaleString()}</td>
                <td>{(imp.created + imp.updated).toLocaleString()}</td>
                <td>{imp.invalid.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** What a search term matches: the phone's digits (any part of them) or the name, case-insensitively. */
function matcher(term: string): (c: Contact) => boolean {
  const text = term.trim().toLowerCase();
  const digits = text.replace(/\D/g, '');
  const phoneLike = /^[\d\s()+.-]+$/.test(text) && digits.length > 0;
  return (c) =>
    phoneLike ? c.phone.replace(/\D/g, '').includes(digits) : (c.name ?? '').toLowerCase().includes(text) || c.phone.includes(text);
}

/** A whole number in international form: the API looks it up by its keyed hash at once. */
const WHOLE_NUMBER = /^\+\d{8,15}$/;

/**
 * A whole number (+ and 8–15 digits) is looked up by the API (`?phone=`). Anything else (part of a
 * number, a name: both stored sealed, so the API cannot search them) is matched here while the
 * console reads every page (newest first), showing how far it got: fine for tens of thousands.
 */
function useContactSearch(term: string) {
  const [scanned, setScanned] = useState(0);
  const search = useQuery({
    queryKey: ['contact-search', term],
    enabled: term !== '',
    staleTime: 30_000,
    queryFn: async ({ signal }) => {
      const number = term.replace(/[\s().-]/g, '');
      if (WHOLE_NUMBER.test(number)) {
        const page = await must(api.GET('/v1/contacts', { params: { query: { phone: number } }, signal }));
        return { found: page.data, scanned: null };
      }
      const matches = matcher(term);
      const found: Contact[] = [];
      let cursor: string | undefined;
      let seen = 0;
      setScanned(0);
      do {
        const page = await must(api.GET('/v1/contacts', { params: { query: { limit: SCAN_PAGE, cursor } }, signal }));
        found.push(...page.data.filter(matches));
        seen += page.data.length;
        setScanned(seen);
        cursor = page.nextCursor ?? undefined;
      } while (cursor && !signal.aborted);
      return { found, scanned: seen };
    },
  });
  return { search, scanned };
}

function ContactRows({
  contacts,
  selected,
  toggle,
}: {
  contacts: Contact[];
  selected: Set<string>;
  toggle: (id: string, on: boolean) => void;
}) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">
              <span className="visually-hidden">Select</span>
            </th>
            <th scope="col">Phone</th>
            <th scope="col">Name</th>
            <th scope="col">Opted out</th>
            <th scope="col">Added</th>
          </tr>
        </thead>
        <tbody>
          {contacts.map((c) => (
            <tr key={c.id}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Select ${c.phone}`}
                  checked={selected.has(c.id)}
                  onChange={(e) => toggle(c.id, e.target.checked)}
                />
              </td>
              <th scope="row" className="phone">
                {c.phone}
              </th>
              <td>{c.name ?? '—'}</td>
              <td>{c.optedOut ? <span className="tag-out">Opted out</span> : 'No'}</td>
              <td>{new Date(c.createdAt).toLocaleDateString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AddToList({ selected, done }: { selected: Set<string>; done: () => void }) {
  const client = useQueryClient();
  const lists = useQuery({ queryKey: ['lists'], queryFn: () => must(api.GET('/v1/lists', { params: { query: { limit: 200 } } })) });
  const [listId, setListId] = useState('');
  const add = useMutation({
    mutationFn: (id: string) =>
      must(api.POST('/v1/lists/{id}/contacts', { params: { path: { id } }, body: { contactIds: [...selected] } })),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['lists'] });
      done();
    },
  });
  const options = lists.data?.data ?? [];
  const chosen = listId || options[0]?.id || '';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (chosen && selected.size > 0) add.mutate(chosen);
  };
  if (options.length === 0) return null;
  return (
    <form className="inline-form" onSubmit={submit} noValidate>
      <SelectField label="List" name="list" value={chosen} onChange={(e) => setListId(e.target.value)} error={add.error}>
        {options.map((l) => (
          <option key={l.id} value={l.id}>
            {l.name}
          </option>
        ))}
      </SelectField>
      <button type="submit" className="secondary" disabled={selected.size === 0 || add.isPending}>
        Add {selected.size} selected to list
      </button>
      {add.data ? (
        <p role="status">
          Added {add.data.added}
          {add.data.alreadyMembers ? `; ${add.data.alreadyMembers} were already in it` : ''}.
        </p>
      ) : null}
      <ProblemMessage error={add.error} />
    </form>
  );
}

function ContactList() {
  const [draft, setDraft] = useState('');
  const [term, setTerm] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const toggle = (id: string, on: boolean) =>
    setSelected((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const pages = useInfiniteQuery({
    queryKey: ['contacts'],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => must(api.GET('/v1/contacts', { params: { query: { limit: PAGE, cursor: pageParam } } })),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const { search, scanned } = useContactSearch(term);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTerm(draft.trim());
  };
  const listed = pages.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <section aria-labelledby="contacts-title">
      <h2 id="contacts-title">All contacts</h2>
      <form className="inline-form" role="search" onSubmit={submit} noValidate>
        <TextField label="Search by phone or name" name="q" type="search" value={draft} onChange={(e) => setDraft(e.target.value)} />
        <button type="submit">Search</button>
        {term ? (
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setDraft('');
              setTerm('');
            }}
          >
            Clear search
          </button>
        ) : null}
      </form>
      <AddToList selected={selected} done={() => setSelected(new Set())} />
      {term ? (
        <>
          <ProblemMessage error={search.error} />
          {search.isFetching ? (
            <ProgressBar label="Search" value={scanned} max={null} text={`Searched ${scanned.toLocaleString()} contacts…`} />
          ) : null}
          {search.data && !search.isFetching ? (
            <p role="status">
              {search.data.found.length === 1 ? '1 contact matches' : `${search.data.found.length.toLocaleString()} contacts match`} “{term}
              ” {search.data.scanned === null ? '(looked up by number).' : `(searched ${search.data.scanned.toLocaleString()}).`}
            </p>
          ) : null}
          {search.data ? <ContactRows contacts={search.data.found} selected={selected} toggle={toggle} /> : null}
        </>
      ) : (
        <>
          <ProblemMessage error={pages.error} />
          {pages.isPending ? <p className="loading">Loading…</p> : null}
          {pages.data && listed.length === 0 ? <p>No contacts yet: upload a CSV file above.</p> : null}
          {listed.length > 0 ? <ContactRows contacts={listed} selected={selected} toggle={toggle} /> : null}
          <div className="table-actions">
            {listed.length > 0 ? <span>{listed.length.toLocaleString()} shown</span> : null}
            {pages.hasNextPage ? (
              <button type="button" className="secondary" onClick={() => void pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
                {pages.isFetchingNextPage ? 'Loading…' : 'Show more'}
              </button>
            ) : null}
          </div>
        </>
      )}
    </section>
  );
}

function ContactsPage() {
  return (
    <>
      <ContactsNav />
      <h1>Contacts</h1>
      <Upload />
      <RecentImports />
      <ContactList />
    </>
  );
}

export const contactRoutes: PageRoute[] = [
  { path: '/contacts', component: ContactsPage },
  { path: '/contacts/imports/:id', component: ImportPage },
  { path: '/contacts/lists', component: ListsPage },
  { path: '/contacts/opt-outs', component: OptOutsPage },
];
