import type { StaffUserView } from '../../services/staff/staff-users-service';
import { action, type StaffCommand } from '../lib/staff-command';
import { describeStaffUser } from '../lib/staff-user-format';

export const whoamiCommand: StaffCommand = (program) => {
  program
    .command('whoami')
    .description('who the saved staff token signs you in as, and until when')
    .action(
      action(async (ctx) => {
        const me = await ctx.client().get<StaffUserView & { session: { expiresAt: string } }>('/staff/v1/me');
        ctx.output.result(me, (m) => `${describeStaffUser(m)}; session expires ${m.session.expiresAt}`);
      }),
    );
};
