import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'wouter';
import { useState } from 'react';
import { api, must } from '../api/client';
import { ProblemMessage } from '../components/problem';
import { ProgressBar } from '../components/progress';
import { ContactsNav } from './contacts-nav';
import { rowErrorsCsv, type ImportView } from './contacts-upload';
import './contacts.css';

const RUNNING = new Set(['receiving', 'queued', 'running']);
const STATUS_TEXT: Record<ImportView['status'], string> = {
  receiving: 'Receiving the file',
  queued: 'Queued',
  running: 'Importing',
  completed: 'Completed',
  failed: 'Failed',
};

/**
 * The counts to show: whichever of the workflow's live query and the stored counts is further along.
 * The activity stores counts after every chunk, while the workflow's query moves only when a whole
 * activity (up to 100 chunks) returns, so during a run the stored counts are usually the fresher.
 */
function countsOf(imp: ImportView) {
  const c = imp.live && RUNNING.has(imp.status) && imp.live.processedRows > imp.processedRows ? imp.live : imp;
  return {
    totalRows: imp.totalRows || c.totalRows,
    read: c.processedRows,
    applied: c.created + c.updated,
    created: c.created,
    updated: c.updated,
    duplicates: c.duplicates,
    errors: c.invalid,
    optedOut: c.optedOut,
  };
}

const ERRORS_PAGE = 1000;

/** Every row error, page by page (the API pages them by row number), as one CSV file saved by the browser. */
function useErrorsDownload(imp: ImportView | undefined) {
  const [fetched, setFetched] = useState(0);
  const download = useMutation({
    mutationFn: async () => {
      if (!imp) return;
      const all: ImportView['errors'] = [];
      setFetched(0);
      for (;;) {
        const after = all.at(-1)?.row ?? 0;
        const page = await must(
          api.GET('/v1/contacts/imports/{id}/errors', {
            params: { path: { id: imp.id }, query: { after_row: after, limit: ERRORS_PAGE } },
          }),
        );
        all.push(...page.data);
        setFetched(all.length);
        if (page.data.length < ERRORS_PAGE) break;
      }
      const url = URL.createObjectURL(new Blob([rowErrorsCsv(all)], { type: 'text/csv' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `import-${imp.id}-errors.csv`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    },
  });
  return { download, fetched };
}

export function ImportPage() {
  const params = useParams<{ id: string }>();
  const imp = useQuery({
    queryKey: ['contact-import', params.id],
    queryFn: () => must(api.GET('/v1/contacts/imports/{id}', { params: { path: { id: params.id } } })),
    refetchInterval: (q) => (q.state.data && !RUNNING.has(q.state.data.status) ? false : 500),
  });
  const { download, fetched } = useErrorsDownload(imp.data);
  const data = imp.data;
  const counts = data ? countsOf(data) : null;
  return (
    <>
      <ContactsNav />
      <h1>Contact import</h1>
      <ProblemMessage error={imp.error} />
      {!data || !counts ? (
        imp.isPending ? (
          <p className="loading">Loading…</p>
        ) : null
      ) : (
        <>
          <p>
            Started {new Date(data.createdAt).toLocaleString()}
            {data.completedAt ? `, ended ${new Date(data.completedAt).toLocaleString()}` : ''}.
          </p>
          <section aria-labelledby="import-progress-title">
            <h2 id="import-progress-title">Progress</h2>
            <p role="status" className="import-status">
              {STATUS_TEXT[data.status]}
              {data.status === 'completed' || data.status === 'failed' ? '.' : '…'}
            </p>
            <ProgressBar
              label="Rows imported"
              value={counts.read}
              max={counts.totalRows || null}
              text={`${counts.read.toLocaleString()} of ${counts.totalRows.toLocaleString()} rows`}
            />
            {data.failure ? <p className="problem">The import failed: {data.failure}</p> : null}
            <dl className="import-counts">
              <div>
                <dt>Rows in the file</dt>
                <dd data-count="total">{counts.totalRows.toLocaleString()}</dd>
              </div>
              <div>
                <dt>Rows read</dt>
                <dd data-count="read">{counts.read.toLocaleString()}</dd>
              </div>
              <div>
                <dt>Applied</dt>
                <dd data-count="applied">{counts.applied.toLocaleString()}</dd>
              </div>
              <div>
                <dt>Created</dt>
                <dd data-count="created">{counts.created.toLocaleString()}</dd>
              </div>
              <div>
                <dt>Updated</dt>
                <dd data-count="updated">{counts.updated.toLocaleString()}</dd>
              </div>
              <div>
                <dt>Duplicates in the file</dt>
                <dd data-count="duplicates">{counts.duplicates.toLocaleString()}</dd>
              </div>
              <div>
                <dt>Opted out</dt>
                <dd data-count="opted-out">{counts.optedOut.toLocaleString()}</dd>
              </div>
              <div>
                <dt>Errors</dt>
                <dd data-count="errors">{counts.errors.toLocaleString()}</dd>
              </div>
            </dl>
          </section>
          <section aria-labelledby="import-errors-title">
            <h2 id="import-errors-title">Row errors</h2>
            {data.errors.length === 0 ? (
              <p>{RUNNING.has(data.status) ? 'No row errors so far.' : 'No row errors.'}</p>
            ) : (
              <>
                <p className="hint">
                  {counts.errors > data.errors.length
                    ? `The first ${data.errors.length} of ${counts.errors.toLocaleString()}; download them all as CSV.`
                    : 'Rows that were not imported, and why. The file holds no cell values.'}
                </p>
                <button type="button" className="secondary" onClick={() => download.mutate()} disabled={download.isPending}>
                  {download.isPending ? `Preparing… ${fetched.toLocaleString()} rows` : 'Download row errors (CSV)'}
                </button>
                <ProblemMessage error={download.error} />
                <div className="table-wrap">
                  <table>
                    <caption className="visually-hidden">First row errors</caption>
                    <thead>
                      <tr>
                        <th scope="col">Row</th>
                        <th scope="col">Column</th>
                        <th scope="col">Reason</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.errors.map((e) => (
                        <tr key={`${e.row}:${e.column ?? ''}`}>
                          <th scope="row">{e.row}</th>
                          <td>{e.column ?? '—'}</td>
                          <td>{e.reason}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </>
            )}
          </section>
        </>
      )}
      <p>
        <Link href="/contacts">Back to contacts</Link>
      </p>
    </>
  );
}
