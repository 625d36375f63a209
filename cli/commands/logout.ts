import { ApiProblemError } from '../lib/cli-error';
import { action, type StaffCommand } from '../lib/staff-command';
import { forgetToken, loadToken } from '../lib/token-file';

export const logoutCommand: StaffCommand = (program) => {
  program
    .command('logout')
    .description('revoke the saved staff token on the server and delete it here')
    .action(
      action(async (ctx) => {
        const stored = loadToken(ctx.tokenFile);
        if (stored && stored.api === ctx.api) {
          try {
            await ctx.client().delete('/staff/v1/sessions/current');
          } catch (err) {
            // Expired or already revoked: nothing left to revoke, the file still goes.
            if (!(err instanceof ApiProblemError && err.status === 401)) throw err;
          }
        }
        forgetToken(ctx.tokenFile);
        ctx.output.result({ loggedOut: true, tokenFile: ctx.tokenFile }, () => 'Logged out.');
      }),
    );
};
