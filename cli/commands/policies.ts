import { PublishPolicyBody } from '../../api/schemas/policies';
import { readJsonInput } from '../lib/json-input';
import { action, validInput, type StaffCommand } from '../lib/staff-command';

interface PolicyView {
  kind: string;
  version: string;
  material: boolean;
  effectiveAt: string;
}
interface PoliciesView {
  data: { kind: string; inForce: PolicyView | null; upcoming: PolicyView | null }[];
}

/** `policies list | publish` (publishing: privacy role). */
export const policiesCommand: StaffCommand = (program) => {
  const policies = program.command('policies').description('Privacy Policy and DPA versions');

  policies
    .command('list')
    .description('the versions in force and upcoming')
    .action(
      action(async (ctx) => {
        const current = await ctx.client().get<PoliciesView>('/v1/policies');
        ctx.output.result(current.data, (all) =>
          all
            .map(
              (p) =>
                `${p.kind}: ${p.inForce ? `${p.inForce.version} in force` : 'none in force'}${p.upcoming ? `, ${p.upcoming.version} from ${p.upcoming.effectiveAt}` : ''}`,
            )
            .join('\n'),
        );
      }),
    );

  policies
    .command('publish')
    .requiredOption('--file <path>', 'JSON (- for stdin): kind (privacy|dpa), version, text or url, material, effectiveAt')
    .description('publish a version; a material one is emailed to every account holder 30 days ahead')
    .action(
      action<{ file: string }>(async (ctx, options) => {
        const body = validInput(PublishPolicyBody, readJsonInput(options.file));
        ctx.output.result(
          await ctx.client().post<PolicyView>('/staff/v1/policies', body),
          (p) => `Published ${p.kind} ${p.version}${p.material ? ' (material)' : ''}, in force from ${p.effectiveAt}`,
        );
      }),
    );
};
