/**
 * What the fuzzed server answered, per OpenAPI operation: the launcher records every response's
 * status under the operation its method and path match (a literal path segment wins over a
 * `{param}`), so the run can tell which operations never got past authentication.
 */
interface Operation {
  name: string;
  method: string;
  pattern: RegExp;
  /** Literal segments: the more, the more specific. */
  literals: number;
  /** Public operations answer 401 from their handler (a failed sign-in): that counts as reached. */
  secured: boolean;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, { security?: unknown[] }>>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const AUTH_ONLY = new Set([401, 403]);

export class OperationCoverage {
  private readonly operations: Operation[];
  private readonly statuses = new Map<string, Set<number>>();
  private readonly secured: Set<string>;

  constructor(document: OpenApiDocument) {
    this.operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => METHODS.includes(m))
        .map((m) => {
          const secured = (item[m]?.security ?? []).length > 0;
          const segments = path.split('/');
          const source = segments.map((s) => (/^\{.+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))).join('/');
          return {
            name: `${m.toUpperCase()} ${path}`,
            method: m.toUpperCase(),
            pattern: new RegExp(`^${source}/?$`),
            literals: segments.filter((s) => !s.startsWith('{')).length,
            secured,
          };
        }),
    );
    for (const op of this.operations) this.statuses.set(op.name, new Set());
    this.secured = new Set(this.operations.filter((op) => op.secured).map((op) => op.name));
  }

  record(method: string, url: string, status: number): void {
    const path = url.split('?')[0]!;
    const match = this.operations.filter((op) => op.method === method && op.pattern.test(path)).sort((a, b) => b.literals - a.literals)[0];
    if (match) this.statuses.get(match.name)!.add(status);
  }

  /** Operations never answered, or (needing credentials) answered only 401/403: the fuzzer never reached their handlers. */
  unreached(): { name: string; statuses: number[] }[] {
    return [...this.statuses]
      .filter(([name, s]) => s.size === 0 || (this.secured.has(name) && [...s].every((status) => AUTH_ONLY.has(status))))
      .map(([name, s]) => ({ name, statuses: [...s].sort() }));
  }

  get size(): number {
    return this.operations.length;
  }
}
