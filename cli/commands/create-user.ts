import { StaffUsersService } from '../../services/staff/staff-users-service';
import { newStaffUserInput, newStaffUserOptions, type NewStaffUserOptions } from '../lib/new-staff-user';
import { withServiceDeps } from '../lib/service-deps';
import { action, type StaffCommand } from '../lib/staff-command';
import { enrolmentText } from '../lib/staff-user-format';

/** Bootstrap: the first admin is made on the database directly (audited as the operator); later users through `users create`. */
export const createUserCommand: StaffCommand = (program) => {
  newStaffUserOptions(
    program
      .command('create-user')
      .description('create a staff user directly in the database (bootstrapping the first admin); prints the otpauth:// URI once'),
  ).action(
    action<NewStaffUserOptions>(async (ctx, options) => {
      const input = await newStaffUserInput(options);
      const created = await withServiceDeps((deps) =>
        new StaffUsersService(deps.keys.staffTotpKey).create(deps.orm.em.fork(), input, 'operator'),
      );
      ctx.output.result(created, enrolmentText);
    }),
  );
};
