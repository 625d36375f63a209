import { ReactivateBody } from '../../api/schemas/termination';
import type { TerminationView } from '../../services/termination/termination-service';
import { pollUntilDone } from '../lib/poll-status';
import { action, validInput, type StaffCommand } from '../lib/staff-command';
import { terminationDone, terminationProgress, terminationSummary } from '../lib/termination-format';

const accountPath = (accountId: string) => `/staff/v1/accounts/${encodeURIComponent(accountId)}`;

/** `termination-status`, `confirm-deletion` and `reactivate`: the rest of a termination's life. */
export const terminationCommands: StaffCommand = (program) => {
  program
    .command('termination-status')
    .description("an account's termination: status, deadline, deletion progress, certificate")
    .argument('<accountId>', 'the account id')
    .option('--wait', 'wait until the account is deleted or reactivated')
    .action(
      action<{ wait?: boolean }>(async (ctx, options, [accountId]) => {
        const client = ctx.client();
        const read = () => client.get<TerminationView>(`${accountPath(accountId!)}/termination`);
        if (!options.wait) {
          ctx.output.result(await read(), terminationSummary);
          return;
        }
        await pollUntilDone({
          read,
          isDone: terminationDone,
          progress: terminationProgress,
          summary: terminationSummary,
          output: ctx.output,
        });
      }),
    );

  program
    .command('confirm-deletion')
    .description("begin a terminated account's deletion now and show it to its end")
    .argument('<accountId>', 'the account id')
    .action(
      action(async (ctx, _options, [accountId]) => {
        const client = ctx.client();
        await client.post<TerminationView>(`${accountPath(accountId!)}/confirm-deletion`);
        await pollUntilDone({
          read: () => client.get<TerminationView>(`${accountPath(accountId!)}/termination`),
          isDone: terminationDone,
          progress: terminationProgress,
          summary: terminationSummary,
          output: ctx.output,
        });
      }),
    );

  program
    .command('reactivate')
    .description('reactivate a terminated account before its deletion begins (its API keys stay revoked)')
    .argument('<accountId>', 'the account id')
    .requiredOption('--reason <reason>', 'why (audited)')
    .action(
      action<{ reason: string }>(async (ctx, options, [accountId]) => {
        const body = validInput(ReactivateBody, { reason: options.reason });
        ctx.output.result(await ctx.client().post<TerminationView>(`${accountPath(accountId!)}/reactivate`, body), terminationSummary);
      }),
    );
};
