import { Option } from 'commander';
import { CompleteDsrBody, CreateStaffDsrBody, ExtendDsrBody } from '../../api/schemas/data-subject-requests';
import type { DsrView } from '../../services/dsr/dsr-service';
import { DSR_TYPES } from '../../workflows/lifecycle/dsr';
import type { CliContext } from '../lib/context';
import { pollUntilDone } from '../lib/poll-status';
import { action, validInput, type StaffCommand } from '../lib/staff-command';

type DsrListItem = Omit<DsrView, 'process'>;

const path = (id: string, tail = '') => `/staff/v1/data-subject-requests/${encodeURIComponent(id)}${tail}`;

/** One line per request: what, whose, where it stands, when it is due. */
export function describeDsr(d: DsrListItem): string {
  const state = d.status === 'completed' ? `completed ${d.completedAt}` : `${d.status}, due ${d.dueAt}${d.overdue ? ' (OVERDUE)' : ''}`;
  return `${d.id}  ${d.type.padEnd(13)}  account ${d.accountId}  ${state}`;
}

function detail(d: DsrView): string {
  const lines = [
    describeDsr(d),
    `  origin: ${d.origin}${d.requester ? ` (requester ${d.requester.email})` : ''}`,
    `  subject: ${d.subject ? `${d.subject.phone ?? '(erased)'}${d.subject.contactId ? ` contact ${d.subject.contactId}` : ''}` : 'none named'}`,
    `  received ${d.receivedAt}; identity ${d.identityVerifiedAt ? `verified ${d.identityVerifiedAt}` : d.origin === 'staff' ? 'NOT verified' : 'not needed'}`,
    ...d.extensions.map((e) => `  extension +${e.days} d ${e.status}: ${e.reason}`),
  ];
  if (d.outcome) lines.push(`  outcome: ${JSON.stringify(d.outcome)}${d.completionNote ? `; note: ${d.completionNote}` : ''}`);
  if (d.process) lines.push(`  process: ${d.process.phase}; reminders sent: ${d.process.remindersSent.length}`);
  return lines.join('\n');
}

/** Waits while the product carries the request out (after a verification), showing its phase. */
function untilSettled(ctx: CliContext, id: string, summary: (d: DsrView) => string) {
  const client = ctx.client();
  return pollUntilDone<DsrView>({
    read: () => client.get<DsrView>(path(id)),
    isDone: (d) => d.status === 'completed' || d.process?.phase === 'awaiting_completion',
    progress: (d) => `request ${d.id}: ${d.process?.phase ?? d.status}`,
    summary,
    output: ctx.output,
    intervalMs: 500,
    timeoutMs: 60_000,
  });
}

/** `dsr list | show | log | verify | extend | complete`: the privacy staff's data subject request endpoints. */
export const dsrCommand: StaffCommand = (program) => {
  const dsr = program.command('dsr').description('data subject requests (privacy and admin roles)');

  dsr
    .command('list')
    .description('every request, newest first, with status and due date')
    .option('--account <id>', "only this account's requests")
    .action(
      action<{ account?: string }>(async (ctx, options) => {
        const client = ctx.client();
        const all: DsrListItem[] = [];
        let cursor: string | null = null;
        do {
          const query = new URLSearchParams({
            limit: '200',
            ...(cursor ? { cursor } : {}),
            ...(options.account ? { accountId: options.account } : {}),
          });
          const page: { data: DsrListItem[]; nextCursor: string | null } = await client.get(
            `/staff/v1/data-subject-requests?${query.toString()}`,
          );
          all.push(...page.data);
          cursor = page.nextCursor;
        } while (cursor);
        ctx.output.result(all, (list) => (list.length ? list.map(describeDsr).join('\n') : 'No data subject requests.'));
      }),
    );

  dsr
    .command('show')
    .description('one request, with its live process status')
    .argument('<id>', 'the request id')
    .action(
      action(async (ctx, _options, [id]) => {
        ctx.output.result(await ctx.client().get<DsrView>(path(id!)), detail);
      }),
    );

  dsr
    .command('log')
    .description("log a request from an account holder; it waits until you verify the requester's identity")
    .requiredOption('--account <id>', 'the account it concerns')
    .addOption(new Option('--type <type>', 'what is asked').choices(DSR_TYPES).makeOptionMandatory())
    .requiredOption('--requester-email <email>', 'who asked (told of extensions)')
    .option('--phone <number>', 'the recipient it is about')
    .option('--contact <id>', 'or: the contact it is about')
    .action(
      action<{ account: string; type: string; requesterEmail: string; phone?: string; contact?: string }>(async (ctx, o) => {
        const body = validInput(CreateStaffDsrBody, {
          accountId: o.account,
          type: o.type,
          requesterEmail: o.requesterEmail,
          ...(o.phone !== undefined ? { phone: o.phone } : {}),
          ...(o.contact !== undefined ? { contactId: o.contact } : {}),
        });
        ctx.output.result(await ctx.client().post<DsrView>('/staff/v1/data-subject-requests', body), (d) => `Logged ${describeDsr(d)}.`);
      }),
    );

  dsr
    .command('verify')
    .description("record that the requester's identity was verified; waits while the product acts on it")
    .argument('<id>', 'the request id')
    .action(
      action(async (ctx, _options, [id]) => {
        await ctx.client().post<DsrView>(path(id!, '/verify-identity'));
        await untilSettled(ctx, id!, (d) =>
          d.status === 'completed' ? `Verified; completed: ${d.outcome?.action}.` : `Verified; ${describeDsr(d)} — complete it when done.`,
        );
      }),
    );

  dsr
    .command('extend')
    .description('move the due date (before it passes; at most 60 days in all); the requester is told the reason')
    .argument('<id>', 'the request id')
    .requiredOption('--days <n>', 'days to add')
    .requiredOption('--reason <text>', 'why (sent to the requester)')
    .action(
      action<{ days: string; reason: string }>(async (ctx, o, [id]) => {
        const body = validInput(ExtendDsrBody, { days: Number(o.days), reason: o.reason });
        ctx.output.result(await ctx.client().post<DsrView>(path(id!, '/extensions'), body), (d) => `Extended: now due ${d.dueAt}.`);
      }),
    );

  dsr
    .command('complete')
    .description('complete a request the product could not carry out itself, saying what was done')
    .argument('<id>', 'the request id')
    .requiredOption('--note <text>', 'what was done')
    .action(
      action<{ note: string }>(async (ctx, o, [id]) => {
        const body = validInput(CompleteDsrBody, { note: o.note });
        ctx.output.result(await ctx.client().post<DsrView>(path(id!, '/complete'), body), (d) => `Completed ${describeDsr(d)}.`);
      }),
    );
};
