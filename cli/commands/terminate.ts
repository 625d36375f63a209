import { StaffTerminateBody } from '../../api/schemas/termination';
import type { TerminationView } from '../../services/termination/termination-service';
import { pollUntilDone } from '../lib/poll-status';
import { action, validInput, type StaffCommand } from '../lib/staff-command';
import { terminationDone, terminationProgress, terminationSummary } from '../lib/termination-format';

interface TerminateOptions {
  reason: string;
  disposition?: 'delete' | 'return_then_delete';
  deleteEarly?: boolean;
  wait?: boolean;
}

/** `terminate <accountId> --reason …`: privacy/admin staff terminate an account; with --delete-early, shows the deletion to its end. */
export const terminateCommand: StaffCommand = (program) => {
  program
    .command('terminate')
    .description('terminate an account: keys revoked and work stopped at once, export link emailed, data deleted within 30 days')
    .argument('<accountId>', 'the account id')
    .requiredOption('--reason <reason>', 'why (audited)')
    .option('--disposition <disposition>', 'delete | return_then_delete', 'delete')
    .option('--delete-early', 'begin the deletion now instead of at the end of the 30-day grace')
    .option('--wait', 'wait for the deletion to finish (implied by --delete-early)')
    .action(
      action<TerminateOptions>(async (ctx, options, [accountId]) => {
        const body = validInput(StaffTerminateBody, {
          reason: options.reason,
          disposition: options.disposition,
          deleteEarly: options.deleteEarly ?? false,
        });
        const client = ctx.client();
        const path = `/staff/v1/accounts/${encodeURIComponent(accountId!)}`;
        const started = await client.post<TerminationView>(`${path}/terminate`, body);
        if (!options.deleteEarly && !options.wait) {
          ctx.output.result(started, terminationSummary);
          return;
        }
        await pollUntilDone({
          read: () => client.get<TerminationView>(`${path}/termination`),
          isDone: terminationDone,
          progress: terminationProgress,
          summary: terminationSummary,
          output: ctx.output,
        });
      }),
    );
};
