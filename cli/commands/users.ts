import { Option } from 'commander';
import { CreateStaffUserBody } from '../../api/schemas/staff';
import { STAFF_ROLES } from '../../services/staff/staff-roles';
import type { StaffUserView } from '../../services/staff/staff-users-service';
import { passwordFrom } from '../lib/prompt';
import { action, validInput, type StaffCommand } from '../lib/staff-command';
import { describeStaffUser, enrolmentText } from '../lib/staff-user-format';

interface CreateOptions {
  email: string;
  role: string;
  passwordStdin?: boolean;
}

/** `users list | create | disable`: the admin-only /staff/v1/staff-users endpoints. */
export const usersCommand: StaffCommand = (program) => {
  const users = program.command('users').description('staff users (admin role)');

  users
    .command('list')
    .description('every staff user, oldest first (no secrets)')
    .action(
      action(async (ctx) => {
        const client = ctx.client();
        const all: StaffUserView[] = [];
        let cursor: string | null = null;
        do {
          const query: string = cursor ? `?limit=200&cursor=${encodeURIComponent(cursor)}` : '?limit=200';
          const page: { data: StaffUserView[]; nextCursor: string | null } = await client.get(`/staff/v1/staff-users${query}`);
          all.push(...page.data);
          cursor = page.nextCursor;
        } while (cursor);
        ctx.output.result(all, (list) => (list.length ? list.map(describeStaffUser).join('\n') : 'No staff users.'));
      }),
    );

  users
    .command('create')
    .description('create a staff user; prints the otpauth:// URI once')
    .requiredOption('--email <email>', "the staff member's email (their login)")
    .addOption(new Option('--role <role>', 'what they may do').choices(STAFF_ROLES).makeOptionMandatory())
    .option('--password-stdin', 'read their initial password from stdin instead of asking')
    .action(
      action<CreateOptions>(async (ctx, options) => {
        const client = ctx.client();
        const password = await passwordFrom(options, 'new');
        const body = validInput(CreateStaffUserBody, { email: options.email, role: options.role, password });
        ctx.output.result(await client.post<StaffUserView & { otpauthUri: string }>('/staff/v1/staff-users', body), enrolmentText);
      }),
    );

  users
    .command('disable')
    .description('disable a staff user: sign-in refused, live sessions revoked')
    .argument('<id>', 'the staff user id')
    .action(
      action(async (ctx, _options, [id]) => {
        const user = await ctx.client().post<StaffUserView>(`/staff/v1/staff-users/${encodeURIComponent(id!)}/disable`);
        ctx.output.result(user, (u) => `Disabled ${describeStaffUser(u)}.`);
      }),
    );
};
