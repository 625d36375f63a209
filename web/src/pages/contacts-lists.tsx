import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, must } from '../api/client';
import { TextField } from '../components/field';
import { ProblemMessage } from '../components/problem';
import { ContactsNav } from './contacts-nav';
import './contacts.css';

/** A list's size is on its own GET only (the listing leaves it out). */
function ListSize({ id }: { id: string }) {
  const list = useQuery({ queryKey: ['lists', id], queryFn: () => must(api.GET('/v1/lists/{id}', { params: { path: { id } } })) });
  if (list.error) return <>—</>;
  return <>{list.data?.size?.toLocaleString() ?? '…'}</>;
}

function CreateList() {
  const client = useQueryClient();
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => must(api.POST('/v1/lists', { body: { name } })),
    onSuccess: async () => {
      setName('');
      await client.invalidateQueries({ queryKey: ['lists'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <section aria-labelledby="new-list-title">
      <h2 id="new-list-title">New list</h2>
      <form className="inline-form" onSubmit={submit} noValidate>
        <TextField
          label="List name"
          name="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={create.error}
          maxLength={200}
        />
        <button type="submit" disabled={create.isPending}>
          Create list
        </button>
      </form>
      <ProblemMessage error={create.error} />
      {create.data ? <p role="status">Created “{create.data.name}”. Add contacts to it from the contacts page.</p> : null}
    </section>
  );
}

export function ListsPage() {
  const client = useQueryClient();
  const lists = useQuery({ queryKey: ['lists'], queryFn: () => must(api.GET('/v1/lists', { params: { query: { limit: 200 } } })) });
  const remove = useMutation({
    mutationFn: (id: string) => must(api.DELETE('/v1/lists/{id}', { params: { path: { id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['lists'] }),
  });
  const rows = lists.data?.data ?? [];
  return (
    <>
      <ContactsNav />
      <h1>Lists</h1>
      <CreateList />
      <section aria-labelledby="lists-title">
        <h2 id="lists-title">Your lists</h2>
        <ProblemMessage error={lists.error ?? remove.error} />
        {lists.data && rows.length === 0 ? <p>No lists yet.</p> : null}
        {rows.length > 0 ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Contacts</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((l) => (
                  <tr key={l.id}>
                    <th scope="row">{l.name}</th>
                    <td>
                      <ListSize id={l.id} />
                    </td>
                    <td>{new Date(l.createdAt).toLocaleDateString()}</td>
                    <td>
                      <button
                        type="button"
                        className="secondary"
                        aria-label={`Delete list ${l.name}`}
                        disabled={remove.isPending}
                        onClick={() => remove.mutate(l.id)}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <p className="hint">Deleting a list keeps its contacts.</p>
      </section>
    </>
  );
}
