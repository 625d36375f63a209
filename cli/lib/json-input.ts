import { readFileSync } from 'node:fs';
import { CliError } from './cli-error';

/** A request body from a JSON file, or from stdin with `-` (e.g. a breach declaration prepared beforehand). */
export function readJsonInput(path: string): unknown {
  const text = readFileSync(path === '-' ? 0 : path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CliError(`${path === '-' ? 'stdin' : path} is not valid JSON`);
  }
}
