import type { StaffUserView } from '../../services/staff/staff-users-service';
import { newStaffUserInput, newStaffUserOptions, type NewStaffUserOptions } from '../lib/new-staff-user';
import { action, type StaffCommand } from '../lib/staff-command';
import { describeStaffUser, invitedText, type InvitedStaffUser } from '../lib/staff-user-format';

/** `users list | create | reset | disable`: the admin-only /staff/v1/staff-users endpoints. */
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

  newStaffUserOptions(users.command('create').description('create a staff user; they get a one-time enrolment token by email')).action(
    action<NewStaffUserOptions>(async (ctx, options) => {
      const client = ctx.client();
      ctx.output.result(await client.post<InvitedStaffUser>('/staff/v1/staff-users', newStaffUserInput(options)), invitedText);
    }),
  );

  users
    .command('reset')
    .description("reset a staff user's password and authenticator: sessions revoked, a new enrolment token emailed to them")
    .argument('<id>', 'the staff user id')
    .action(
      action(async (ctx, _options, [id]) => {
        const user = await ctx.client().post<InvitedStaffUser>(`/staff/v1/staff-users/${encodeURIComponent(id!)}/reset-enrolment`);
        ctx.output.result(user, invitedText);
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
