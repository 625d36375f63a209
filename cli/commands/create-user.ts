import { createEmailSender } from '../../providers/email/registry';
import { StaffEnrolmentService } from '../../services/staff/staff-enrolments';
import { newStaffUserInput, newStaffUserOptions, type NewStaffUserOptions } from '../lib/new-staff-user';
import { withServiceDeps } from '../lib/service-deps';
import { action, type StaffCommand } from '../lib/staff-command';
import { invitedText } from '../lib/staff-user-format';

/** Bootstrap: the first admin is made on the database directly (audited as the operator); later users through `users create`. */
export const createUserCommand: StaffCommand = (program) => {
  newStaffUserOptions(
    program
      .command('create-user')
      .description('create a staff user directly in the database (bootstrapping the first admin); they enrol with the emailed token'),
  ).action(
    action<NewStaffUserOptions>(async (ctx, options) => {
      const input = newStaffUserInput(options);
      const created = await withServiceDeps((deps) =>
        new StaffEnrolmentService({
          staffTotpKey: deps.keys.staffTotpKey,
          email: createEmailSender(deps.config),
          apiBaseUrl: deps.config.PUBLIC_BASE_URL,
        }).invite(deps.orm.em.fork(), input, 'operator'),
      );
      ctx.output.result(created, invitedText);
    }),
  );
};
