import { ApiProblemError, CliError } from './cli-error';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/**
 * The staff API over HTTP: JSON in and out, the staff token as the bearer, and every problem+json
 * answer turned into an ApiProblemError whose message is the problem's detail.
 */
export class StaffApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | null = null,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  async request<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CliError(`cannot reach the API at ${this.baseUrl} (${code}); is it running? (--api or MASSIVESMS_API_URL)`);
    }
    const text = await res.text();
    if (!res.ok) throw problemOf(res, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

function problemOf(res: Response, text: string): ApiProblemError {
  try {
    const problem = JSON.parse(text) as { type?: unknown; detail?: unknown };
    if (typeof problem.detail === 'string')
      return new ApiProblemError(res.status, typeof problem.type === 'string' ? problem.type : '', problem.detail);
  } catch {
    // not JSON: fall through to the status line
  }
  return new ApiProblemError(res.status, '', res.statusText || 'the API refused the request');
}
