import { z } from 'zod';
import { ENROLMENT_TOKEN_PATTERN } from '../../services/staff/staff-enrolments';
import { STAFF_ROLES } from '../../services/staff/staff-roles';
import { EmailAddress } from './accounts';

export const StaffRoleSchema = z.enum(STAFF_ROLES);

export const CreateStaffSessionBody = z
  .object({
    email: EmailAddress,
    password: z.string().min(1).max(256),
    code: z
      .string()
      .regex(/^[0-9]{6}$/, 'must be the 6-digit code your authenticator app shows')
      .describe('The TOTP code (RFC 6238, 30-second steps) shown now; each code is accepted once.'),
  })
  .strict();

export const StaffSessionSchema = z.object({
  token: z.string().describe('A staff bearer token (mst_…) for /staff/v1/*, valid 12 hours. Shown once.'),
  expiresAt: z.string(),
  staffUser: z.object({ id: z.uuid(), role: StaffRoleSchema }),
});

export const StaffUserSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  role: StaffRoleSchema,
  createdAt: z.string(),
  disabledAt: z.string().nullable(),
});

export const StaffMeSchema = StaffUserSchema.extend({
  session: z.object({ id: z.uuid(), expiresAt: z.string() }),
});

export const CreateStaffUserBody = z
  .object({
    email: EmailAddress,
    role: StaffRoleSchema,
  })
  .strict()
  .describe('No password: the new staff member sets their own factors with the enrolment token emailed to them.');

export const StaffUserInvited = StaffUserSchema.extend({
  enrolment: z
    .object({ expiresAt: z.string(), emailed: z.literal(true) })
    .describe('A one-time enrolment token was emailed to the staff member (never shown here).'),
});

export const EnrolStaffBody = z
  .object({
    token: z.string().regex(ENROLMENT_TOKEN_PATTERN, 'must be the msn_… token from the enrolment email'),
    password: z.string().min(12, 'must be at least 12 characters').max(256),
  })
  .strict();

export const StaffEnrolled = z.object({
  staffUser: StaffUserSchema,
  otpauthUri: z.string().describe('otpauth://totp/… for your authenticator app. Shown once, to you only; never stored in clear.'),
});
