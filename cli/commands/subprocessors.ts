import { AnnounceSubprocessorBody, ResolveObjectionBody } from '../../api/schemas/subprocessors';
import { readJsonInput } from '../lib/json-input';
import { action, validInput, type StaffCommand } from '../lib/staff-command';

interface SubprocessorView {
  id: string;
  vendor: string;
  name: string;
  status: string;
  effectiveAt: string;
}
interface ObjectionView {
  id: string;
  accountId: string;
  status: string;
  reason: string;
}

const describe = (s: SubprocessorView) =>
  `${s.name} (${s.vendor}) ${s.status}${s.status === 'pending' ? ` until ${s.effectiveAt}` : ''}, id ${s.id}`;

/** `subprocessors list | announce | objections | resolve` (announcing and objections: privacy role). */
export const subprocessorsCommand: StaffCommand = (program) => {
  const subprocessors = program.command('subprocessors').description('subprocessors, announcements and customer objections');

  subprocessors
    .command('list')
    .description('every subprocessor with its status')
    .action(
      action(async (ctx) => {
        const list = await ctx.client().get<{ data: SubprocessorView[] }>('/staff/v1/subprocessors');
        ctx.output.result(list.data, (all) => all.map(describe).join('\n'));
      }),
    );

  subprocessors
    .command('announce')
    .requiredOption(
      '--file <path>',
      'JSON (- for stdin): vendor, name, purpose, locations, recipientData, effectiveAt (at least 30 days ahead)',
    )
    .description('announce a subprocessor: changelog and emails now, in use from its effective date')
    .action(
      action<{ file: string }>(async (ctx, options) => {
        const body = validInput(AnnounceSubprocessorBody, readJsonInput(options.file));
        ctx.output.result(await ctx.client().post<SubprocessorView>('/staff/v1/subprocessors', body), (s) => `Announced ${describe(s)}`);
      }),
    );

  subprocessors
    .command('objections')
    .argument('<id>', 'the subprocessor id')
    .description('every customer objection to a subprocessor')
    .action(
      action(async (ctx, _o, [id]) => {
        const list = await ctx.client().get<{ data: ObjectionView[] }>(`/staff/v1/subprocessors/${encodeURIComponent(id!)}/objections`);
        ctx.output.result(list.data, (all) =>
          all.length ? all.map((o) => `${o.id} account ${o.accountId} ${o.status}: ${o.reason}`).join('\n') : 'No objections.',
        );
      }),
    );

  subprocessors
    .command('resolve')
    .argument('<id>', 'the subprocessor id')
    .argument('<objectionId>', 'the objection id')
    .requiredOption('--status <status>', 'resolved (the account’s data may reach it) or unresolved (it stays out)')
    .description('resolve a customer objection')
    .action(
      action<{ status: string }>(async (ctx, options, [id, objectionId]) => {
        const body = validInput(ResolveObjectionBody, { status: options.status });
        const path = `/staff/v1/subprocessors/${encodeURIComponent(id!)}/objections/${encodeURIComponent(objectionId!)}/resolution`;
        ctx.output.result(
          await ctx.client().post<ObjectionView>(path, body),
          (o) => `Objection ${o.id} of account ${o.accountId}: ${o.status}`,
        );
      }),
    );
};
