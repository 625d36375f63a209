import { CreateStaffSessionBody } from '../../api/schemas/staff';
import { askVisible, passwordFrom } from '../lib/prompt';
import { action, validInput, type StaffCommand } from '../lib/staff-command';
import { saveToken } from '../lib/token-file';

interface LoginOptions {
  email: string;
  code?: string;
  passwordStdin?: boolean;
}

interface StaffSession {
  token: string;
  expiresAt: string;
  staffUser: { id: string; role: string };
}

export const loginCommand: StaffCommand = (program) => {
  program
    .command('login')
    .description('sign in with email, password and TOTP code; keeps the 12-hour staff token in a file only you can read')
    .requiredOption('--email <email>', 'your staff email')
    .option('--code <code>', 'the 6-digit code your authenticator app shows (asked for when left out)')
    .option('--password-stdin', 'read the password from stdin instead of asking')
    .action(
      action<LoginOptions>(async (ctx, options) => {
        const password = await passwordFrom(options, 'sign-in');
        const code = options.code ?? (await askVisible('Code from your authenticator app: ', 'code'));
        const body = validInput(CreateStaffSessionBody, { email: options.email, password, code });
        const session = await ctx.anonymousClient().post<StaffSession>('/staff/v1/sessions', body);
        saveToken(ctx.tokenFile, { api: ctx.api, token: session.token, expiresAt: session.expiresAt });
        // The token itself is never printed: scripts read it from the file if they need it.
        const shown = { staffUser: session.staffUser, expiresAt: session.expiresAt, tokenFile: ctx.tokenFile };
        ctx.output.result(
          shown,
          (s) => `Logged in as ${body.email} (${s.staffUser.role}) until ${s.expiresAt}; token kept in ${s.tokenFile}.`,
        );
      }),
    );
};
