import type { Express } from 'express';
import request from 'supertest';
import { expect } from 'vitest';
import type { TestAccount } from './accounts';

/** Registers a sender number for the account through the API and returns its E.164 form. */
export async function registerSender(app: Express, account: TestAccount, phone: string): Promise<string> {
  const res = await request(app).post('/v1/sender-numbers').set(account.auth).send({ phone });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.phone as string;
}

let next = 0;
/** A fresh valid US number per call (555-01xx are fictional; the 415 area keeps them valid). */
export function freshPhone(prefix = '+1415'): string {
  next += 1;
  return `${prefix}${String(2000000 + ((process.pid * 7919 + next) % 7000000)).padStart(7, '0')}`;
}
