import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import { URI, type TOTP } from 'otpauth';
import request from 'supertest';
import { expect } from 'vitest';
import type { StaffRole } from '../../services/staff/staff-roles';
import { StaffEnrolmentService } from '../../services/staff/staff-enrolments';
import { freshAddress } from './addresses';
import type { Harness } from './harness';

export interface TestStaffUser {
  id: string;
  email: string;
  password: string;
  role: StaffRole;
  otpauthUri: string;
  /** The user's authenticator app: generates the code for any moment. */
  totp: TOTP;
}

/**
 * A staff user made as the bootstrap CLI makes one (directly, audited as the operator), then enrolled
 * as the staff member would with the token of their enrolment email (taken here before it is sent).
 */
export async function createStaffUser(h: Harness, role: StaffRole): Promise<TestStaffUser> {
  const email = `staff-${role}-${randomBytes(5).toString('hex')}@massivesms.example`;
  const password = `staff password ${randomBytes(8).toString('hex')}`;
  const service = new StaffEnrolmentService({ staffTotpKey: h.deps.keys.staffTotpKey, email: null, apiBaseUrl: h.config.PUBLIC_BASE_URL });
  const { user, enrolment } = await service.createUser(h.deps.orm.em.fork(), { email, role }, 'operator');
  const enrolled = await service.enrol(h.deps.orm.em.fork(), enrolment.token, password);
  return { id: user.id, email, password, role, otpauthUri: enrolled.otpauthUri, totp: URI.parse(enrolled.otpauthUri) as TOTP };
}

export const staffBearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/**
 * Signs in through the API with the code of the moment `atMs` (the app's auth clock must show the same time),
 * optionally from another client address (sign-ins are public routes, limited per address).
 */
export async function staffSignIn(app: Express, user: TestStaffUser, atMs = Date.now(), fromAddress?: string): Promise<string> {
  const res = await request(app)
    .post('/staff/v1/sessions')
    // Its own client address by default: sign-ins are limited per address in the database every test file shares.
    .set({ 'X-Forwarded-For': fromAddress ?? freshAddress() })
    .send({ email: user.email, password: user.password, code: user.totp.generate({ timestamp: atMs }) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.token as string;
}
