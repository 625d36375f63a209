import { Option } from 'commander';
import { CreateStaffUserBody } from '../../api/schemas/staff';
import { STAFF_ROLES } from '../../services/staff/staff-roles';
import { StaffUsersService } from '../../services/staff/staff-users-service';
import { passwordFrom } from '../lib/prompt';
import { withServiceDeps } from '../lib/service-deps';
import { action, validInput, type StaffCommand } from '../lib/staff-command';
import { enrolmentText } from '../lib/staff-user-format';

interface CreateUserOptions {
  email: string;
  role: string;
  passwordStdin?: boolean;
}

/** Bootstrap: the first admin is made on the database directly (audited as the operator); later users through `users create`. */
export const createUserCommand: StaffCommand = (program) => {
  program
    .command('create-user')
    .description('create a staff user directly in the database (bootstrapping the first admin); prints the otpauth:// URI once')
    .requiredOption('--email <email>', "the staff member's email (their login)")
    .addOption(new Option('--role <role>', 'what they may do').choices(STAFF_ROLES).makeOptionMandatory())
    .option('--password-stdin', 'read the password from stdin instead of asking')
    .action(
      action<CreateUserOptions>(async (ctx, options) => {
        const password = await passwordFrom(options, 'new');
        const input = validInput(CreateStaffUserBody, { email: options.email, role: options.role, password });
        const created = await withServiceDeps((deps) =>
          new StaffUsersService(deps.keys.staffTotpKey).create(deps.orm.em.fork(), input, 'operator'),
        );
        ctx.output.result(created, enrolmentText);
      }),
    );
};
