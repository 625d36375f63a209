import { ApproveBreachBody, BreachUpdateBody, DeclareBreachBody } from '../../api/schemas/breaches';
import { readJsonInput } from '../lib/json-input';
import { action, validInput, type StaffCommand } from '../lib/staff-command';

interface BreachView {
  id: string;
  processId: string;
  status: string;
  affectedAccounts: 'all' | string[];
  timeline: {
    awareAt: string;
    declaredAt: string;
    deadlineAt: string;
    approvedAt: string | null;
    notices: { phase: string; accountId: string; sentAt: string }[];
  };
}

const describe = (b: BreachView) => {
  const phases = [...new Set(b.timeline.notices.map((n) => n.phase))];
  const notices = phases.map((p) => `${p}: ${b.timeline.notices.filter((n) => n.phase === p).length} accounts`).join(', ');
  return `${b.processId} ${b.status}; aware ${b.timeline.awareAt}, notice due ${b.timeline.deadlineAt}; ${notices || 'no notice sent'}`;
};

/** `breaches list | show | declare | approve | update | close`: the breach register and its 72-hour process (security, privacy). */
export const breachesCommand: StaffCommand = (program) => {
  const breaches = program.command('breaches').description('personal-data breaches and their 72-hour notices (security, privacy roles)');

  breaches
    .command('list')
    .description('the breach register, newest first, with each notice sent')
    .action(
      action(async (ctx) => {
        const page = await ctx.client().get<{ data: BreachView[] }>('/staff/v1/breaches?limit=200');
        ctx.output.result(page.data, (list) => (list.length ? list.map(describe).join('\n') : 'No breaches.'));
      }),
    );

  breaches
    .command('show')
    .argument('<id>', 'the breach id')
    .description('one breach with its timeline')
    .action(
      action(async (ctx, _o, [id]) => {
        ctx.output.result(await ctx.client().get<BreachView>(`/staff/v1/breaches/${encodeURIComponent(id!)}`), describe);
      }),
    );

  breaches
    .command('declare')
    .requiredOption(
      '--file <path>',
      'the declaration as JSON (- for stdin): description, awareAt, nature, categories, numbers, consequences, measures, contact, affectedAccounts, noticeRequired',
    )
    .description('declare a breach: its notice process starts at once')
    .action(
      action<{ file: string }>(async (ctx, options) => {
        const body = validInput(DeclareBreachBody, readJsonInput(options.file));
        ctx.output.result(await ctx.client().post<BreachView>('/staff/v1/breaches', body), (b) => `Declared ${describe(b)}`);
      }),
    );

  breaches
    .command('approve')
    .argument('<id>', 'the breach id')
    .requiredOption('--file <path>', 'the completed assessment as JSON (- for stdin)')
    .description('approve the completed assessment: the full notice goes out')
    .action(
      action<{ file: string }>(async (ctx, options, [id]) => {
        const body = validInput(ApproveBreachBody, { assessment: readJsonInput(options.file) });
        ctx.output.result(
          await ctx.client().post<BreachView>(`/staff/v1/breaches/${encodeURIComponent(id!)}/approval`, body),
          (b) => `Approved ${describe(b)}`,
        );
      }),
    );

  breaches
    .command('update')
    .argument('<id>', 'the breach id')
    .requiredOption('--summary <text>', 'what is newly known')
    .description('send a further phase of information to every affected controller')
    .action(
      action<{ summary: string }>(async (ctx, options, [id]) => {
        const body = validInput(BreachUpdateBody, { summary: options.summary });
        ctx.output.result(
          await ctx.client().post<BreachView>(`/staff/v1/breaches/${encodeURIComponent(id!)}/updates`, body),
          (b) => `Update posted: ${describe(b)}`,
        );
      }),
    );

  breaches
    .command('close')
    .argument('<id>', 'the breach id')
    .description('close the process once every notice has gone out')
    .action(
      action(async (ctx, _o, [id]) => {
        ctx.output.result(
          await ctx.client().post<BreachView>(`/staff/v1/breaches/${encodeURIComponent(id!)}/close`),
          (b) => `Closing ${describe(b)}`,
        );
      }),
    );
};
