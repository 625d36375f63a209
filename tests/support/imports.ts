import type { Express } from 'express';
import request from 'supertest';
import { expect } from 'vitest';
import type { Client } from '@temporalio/client';
import type { ImportProgress } from '../../services/imports/import-summary';
import { importWorkflowId } from '../../workflows/import-contacts';

export async function uploadCsv(app: Express, auth: Record<string, string>, csv: string, query: Record<string, string> = {}) {
  return request(app).post('/v1/contacts/imports').query(query).set(auth).set('Content-Type', 'text/csv').send(csv);
}

/** Uploads, waits for the ImportWorkflow's result, and returns it with the import id. */
export async function importAndWait(app: Express, temporal: Client, auth: Record<string, string>, csv: string) {
  const res = await uploadCsv(app, auth, csv);
  expect(res.status).toBe(202);
  const result: ImportProgress = await temporal.workflow.getHandle(importWorkflowId(res.body.id)).result();
  return { id: res.body.id as string, result };
}
