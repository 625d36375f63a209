import { ApiProblem, type FieldProblem } from '../api/client';
import type { paths } from '../api/schema';

export type ImportView = paths['/v1/contacts/imports/{id}']['get']['responses'][200]['content']['application/json'];

export interface UploadProgress {
  sent: number;
  total: number;
}

/**
 * POSTs the file as text/csv with XMLHttpRequest, whose upload events give the bytes sent (fetch has
 * none). The answer (202) comes only once the server has staged the whole file. The session cookie
 * goes along as for any same-origin request; no key is involved.
 */
export function uploadContactsCsv(
  file: File,
  query: Record<string, string>,
  onProgress: (p: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<ImportView> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const params = new URLSearchParams(query).toString();
    xhr.open('POST', `/v1/contacts/imports${params ? `?${params}` : ''}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Content-Type', 'text/csv');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => onProgress({ sent: e.loaded, total: e.lengthComputable ? e.total : file.size });
    xhr.upload.onload = () => onProgress({ sent: file.size, total: file.size });
    xhr.onerror = () => reject(new Error('The upload failed: the connection was lost.'));
    xhr.onabort = () => reject(new Error('The upload was cancelled.'));
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status === 202 || xhr.status === 200) {
        resolve(body as ImportView);
        return;
      }
      if (xhr.status === 401) window.dispatchEvent(new Event('massivesms:signed-out'));
      const p = (body ?? {}) as { title?: string; detail?: string; errors?: FieldProblem[] };
      reject(new ApiProblem(xhr.status, p.title ?? `HTTP ${xhr.status}`, p.detail ?? '', Array.isArray(p.errors) ? p.errors : []));
    };
    signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(file);
  });
}

/** One CSV cell, quoted when it holds a comma, quote or line break. */
function csvCell(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function rowErrorsCsv(errors: { row: number; column: string | null; reason: string }[]): string {
  return ['row,column,reason', ...errors.map((e) => [e.row, e.column, e.reason].map(csvCell).join(','))].join('\n') + '\n';
}
