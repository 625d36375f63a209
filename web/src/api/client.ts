import createClient from 'openapi-fetch';
import type { paths } from './schema';

/** The public API on our own origin; the session cookie goes along (same-origin), no key is ever stored. */
export const api = createClient<paths>({ baseUrl: '' });

export interface FieldProblem {
  field: string;
  reason: string;
}

/** An RFC 9457 problem the API answered, kept whole so a form can show each error beside its field. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldProblem[] = [],
  ) {
    super(detail || title);
    this.name = 'ApiProblem';
  }

  /**
   * The reason the API gave for one field (its name as the API spells it), if any. Request validation
   * names where the field was (`body.reason`, `query.limit`); a service names the field alone.
   */
  forField(field: string): string | undefined {
    const bare = (name: string) => name.replace(/^(body|query|params)\./, '');
    return this.errors.find((e) => bare(e.field) === field || bare(e.field).startsWith(`${field}.`))?.reason;
  }
}

function asProblem(status: number, body: unknown): ApiProblem {
  const p = (body ?? {}) as { title?: string; detail?: string; errors?: FieldProblem[] };
  return new ApiProblem(status, p.title ?? `HTTP ${status}`, p.detail ?? '', Array.isArray(p.errors) ? p.errors : []);
}

/** The body of a successful answer, or the problem thrown (a 401 also tells the shell to show sign-in). */
export async function must<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) {
    if (response.status === 401) window.dispatchEvent(new Event('massivesms:signed-out'));
    throw asProblem(response.status, error);
  }
  return data as T;
}

/** For endpoints the generated client cannot express (multipart uploads, CSV downloads). */
export async function mustFetch(input: string, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, { credentials: 'same-origin', ...init });
  if (!response.ok) {
    if (response.status === 401) window.dispatchEvent(new Event('massivesms:signed-out'));
    throw asProblem(response.status, await response.json().catch(() => null));
  }
  return response;
}
