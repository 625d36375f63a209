import { billingSummary, type StaffBillingView } from '../lib/billing-format';
import { action, type StaffCommand } from '../lib/staff-command';

/** `billing <accountId>`: the account's billing state and this month's usage (support, admin). */
export const billingCommand: StaffCommand = (program) => {
  program
    .command('billing')
    .description("an account's billing: card, subscription, this month's usage and spend, dunning, suspension, records")
    .argument('<accountId>', 'the account id')
    .action(
      action(async (ctx, _options, [accountId]) => {
        const view = await ctx.client().get<StaffBillingView>(`/staff/v1/accounts/${encodeURIComponent(accountId!)}/billing`);
        ctx.output.result(view, billingSummary);
      }),
    );
};
