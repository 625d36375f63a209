import { Option, type Command } from 'commander';
import type { z } from 'zod';
import { CreateStaffUserBody } from '../../api/schemas/staff';
import { STAFF_ROLES } from '../../services/staff/staff-roles';
import { passwordFrom } from './prompt';
import { validInput } from './staff-command';

/** What both ways of creating a staff user take (`create-user` on the database, `users create` over the API). */
export interface NewStaffUserOptions {
  email: string;
  role: string;
  passwordStdin?: boolean;
}

export function newStaffUserOptions(command: Command): Command {
  return command
    .requiredOption('--email <email>', "the staff member's email (their login)")
    .addOption(new Option('--role <role>', 'what they may do').choices(STAFF_ROLES).makeOptionMandatory())
    .option('--password-stdin', 'read the password from stdin instead of asking (twice)');
}

/** The new user's details, checked by the API's own schema; the password is asked for or read from stdin. */
export async function newStaffUserInput(options: NewStaffUserOptions): Promise<z.infer<typeof CreateStaffUserBody>> {
  const password = await passwordFrom(options, 'new');
  return validInput(CreateStaffUserBody, { email: options.email, role: options.role, password });
}
