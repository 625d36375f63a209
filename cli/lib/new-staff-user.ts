import { Option, type Command } from 'commander';
import type { z } from 'zod';
import { CreateStaffUserBody } from '../../api/schemas/staff';
import { STAFF_ROLES } from '../../services/staff/staff-roles';
import { validInput } from './staff-command';

/** What both ways of creating a staff user take (`create-user` on the database, `users create` over the API). */
export interface NewStaffUserOptions {
  email: string;
  role: string;
}

export function newStaffUserOptions(command: Command): Command {
  return command
    .requiredOption('--email <email>', "the staff member's email (their login; the enrolment token is sent there)")
    .addOption(new Option('--role <role>', 'what they may do').choices(STAFF_ROLES).makeOptionMandatory());
}

/** The new user's details, checked by the API's own schema. No password: the staff member chooses it when enrolling. */
export function newStaffUserInput(options: NewStaffUserOptions): z.infer<typeof CreateStaffUserBody> {
  return validInput(CreateStaffUserBody, { email: options.email, role: options.role });
}
