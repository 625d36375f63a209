import type { Express } from 'express';
import request from 'supertest';
import { CUSTOMER_SECURITY_SCHEME, HOLDER_SECURITY_SCHEME, STAFF_SECURITY_SCHEME } from '../../api/http/define-route';

export interface DocumentedOperation {
  method: string;
  /** The OpenAPI path, with `{param}` placeholders. */
  path: string;
  security?: Record<string, string[]>[];
}

/** Every operation of the served OpenAPI document. */
export async function documentedOperations(app: Express): Promise<DocumentedOperation[]> {
  const doc = (await request(app).get('/openapi.json')).body as {
    paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
  };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([m, op]) => ({ method: m.toUpperCase(), path, ...(op.security ? { security: op.security } : {}) })),
  );
}

const securedBy = (op: DocumentedOperation, scheme: string) => op.security?.some((s) => scheme in s) ?? false;

/** The staff roles an operation admits (its security requirement's role names), or null when it takes no staff token. */
export const staffRolesOf = (op: DocumentedOperation): string[] | null =>
  op.security?.find((s) => STAFF_SECURITY_SCHEME in s)?.[STAFF_SECURITY_SCHEME] ?? null;

/**
 * Every authenticated customer route (an API key's or a holder's session cookie), as "METHOD /path/{param}",
 * read from the served OpenAPI document.
 */
export async function customerRoutes(app: Express): Promise<string[]> {
  return (await documentedOperations(app))
    .filter((op) => securedBy(op, CUSTOMER_SECURITY_SCHEME) || securedBy(op, HOLDER_SECURITY_SCHEME))
    .map((op) => `${op.method} ${op.path}`)
    .sort();
}

/** Every route that takes a staff token, with the roles it admits. */
export async function staffOperations(app: Express): Promise<(DocumentedOperation & { roles: string[] })[]> {
  return (await documentedOperations(app)).flatMap((op) => {
    const roles = staffRolesOf(op);
    return roles ? [{ ...op, roles }] : [];
  });
}
