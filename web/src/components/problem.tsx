import { ApiProblem } from '../api/client';

/** A failed request, said in words, in a live region so screen readers announce it. */
export function ProblemMessage({ error }: { error: unknown }) {
  if (!error) return null;
  const text =
    error instanceof ApiProblem ? `${error.title}: ${error.detail}` : error instanceof Error ? error.message : 'The request failed.';
  const unnamed = error instanceof ApiProblem ? error.errors.filter((e) => !e.field) : [];
  return (
    <div role="alert" className="problem">
      {text}
      {unnamed.map((e) => (
        <div key={e.reason}>{e.reason}</div>
      ))}
    </div>
  );
}

/** The reason the API gave for `field`, from the last failed submit. */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiProblem ? error.forField(field) : undefined;
}
