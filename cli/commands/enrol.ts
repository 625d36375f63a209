import { EnrolStaffBody } from '../../api/schemas/staff';
import type { StaffUserView } from '../../services/staff/staff-users-service';
import { askHidden, passwordFrom, readStdin } from '../lib/prompt';
import { action, validInput, type StaffCommand } from '../lib/staff-command';
import { describeStaffUser } from '../lib/staff-user-format';

interface EnrolOptions {
  stdin?: boolean;
}

/** The staff member's own step: the emailed token and a password they choose give them their otpauth:// URI. */
export const enrolCommand: StaffCommand = (program) => {
  program
    .command('enrol')
    .description('set your password and authenticator with the one-time token from your enrolment email; prints the otpauth:// URI once')
    .option('--stdin', 'read the token (first line) and the new password (second line) from stdin instead of asking')
    .action(
      action<EnrolOptions>(async (ctx, options) => {
        let token: string;
        let password: string;
        if (options.stdin) {
          [token = '', password = ''] = (await readStdin()).split(/\r?\n/);
        } else {
          token = (await askHidden('Enrolment token from the email: ')).trim();
          password = await passwordFrom({}, 'new');
        }
        const body = validInput(EnrolStaffBody, { token, password });
        const enrolled = await ctx.anonymousClient().post<{ staffUser: StaffUserView; otpauthUri: string }>('/staff/v1/enrolments', body);
        ctx.output.result(enrolled, (e) =>
          [
            `Enrolled ${describeStaffUser(e.staffUser)}.`,
            'Add this to your authenticator app now (it is not shown again); sign in with its codes:',
            e.otpauthUri,
          ].join('\n'),
        );
      }),
    );
};
