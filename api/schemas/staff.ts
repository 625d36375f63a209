import { z } from 'zod';
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
    password: z.string().min(12, 'must be at least 12 characters').max(256),
  })
  .strict();

export const StaffUserWithEnrolment = StaffUserSchema.extend({
  otpauthUri: z.string().describe('otpauth://totp/… for the authenticator app. Shown once; never stored in clear.'),
});
