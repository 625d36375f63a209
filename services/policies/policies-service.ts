import type { EntityManager } from '@mikro-orm/postgresql';
import type { Client as TemporalClient } from '@temporalio/client';
import { AppError } from '../../lib/errors';
import { TASK_QUEUES } from '../../workers/task-queues';
import { policyWorkflow, policyWorkflowId } from '../../workflows/notices/policy';
import { ProcessKindKey } from '../../workflows/search-attributes';
import type { StaffActor } from '../actor';
import { auditByStaff } from '../audit-log';
import { insertPolicyVersion, latestEffectiveAt, policiesAt, type PolicyKind, type PolicyVersionRow } from './policy-store';

/** A material change's notice period, checked here so a short one is refused with its rule (the workflow enforces it too). */
export const MATERIAL_NOTICE_DAYS = 30;
const DAY_MS = 86_400_000;
const KINDS: PolicyKind[] = ['privacy', 'dpa'];

export interface PublishPolicyInput {
  kind: PolicyKind;
  version: string;
  text?: string;
  url?: string;
  material: boolean;
  effectiveAt: string;
}

const view = (p: PolicyVersionRow) => ({
  kind: p.kind,
  version: p.version,
  text: p.body,
  url: p.url,
  material: p.material,
  effectiveAt: p.effectiveAt.toISOString(),
  publishedAt: p.publishedAt.toISOString(),
});

/** Privacy Policy and DPA versions (`policy:<kind>:<version>`): the version in force is the latest whose date has come. */
export class PoliciesService {
  constructor(
    private readonly deps: { temporal: TemporalClient },
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async publish(em: EntityManager, actor: StaffActor, body: PublishPolicyInput) {
    const now = this.clock();
    const effectiveAt = new Date(body.effectiveAt);
    if (body.material && effectiveAt.getTime() < now.getTime() + MATERIAL_NOTICE_DAYS * DAY_MS) {
      throw AppError.invalid(
        'effectiveAt',
        `a material change must take effect at least ${MATERIAL_NOTICE_DAYS} days after it is published`,
      );
    }
    if (!body.material && effectiveAt.getTime() < now.getTime()) throw AppError.invalid('effectiveAt', 'must not be in the past');
    const row: PolicyVersionRow = {
      kind: body.kind,
      version: body.version,
      body: body.text ?? null,
      url: body.url ?? null,
      material: body.material,
      effectiveAt,
      publishedAt: now,
      publishedBy: actor.staffUserId,
    };
    await em.transactional(async (tem) => {
      const latest = await latestEffectiveAt(tem, body.kind);
      if (latest && effectiveAt <= latest) {
        throw new AppError(
          'conflict',
          `a ${body.kind} version already takes effect at ${latest.toISOString()}; a new one must come after it`,
        );
      }
      if (!(await insertPolicyVersion(tem, row))) throw new AppError('conflict', `${body.kind} version ${body.version} already exists`);
      await auditByStaff(
        tem,
        actor,
        'policy.published',
        { type: 'policy', id: policyWorkflowId(body.kind, body.version) },
        {
          material: body.material,
          effectiveAt: effectiveAt.toISOString(),
        },
      );
      try {
        await this.deps.temporal.workflow.start(policyWorkflow, {
          taskQueue: TASK_QUEUES.notices,
          workflowId: policyWorkflowId(body.kind, body.version),
          staticSummary: `Policy ${body.kind} version ${body.version}${body.material ? ' (material change)' : ''}`,
          args: [
            {
              kind: body.kind,
              version: body.version,
              material: body.material,
              publishedAtMs: now.getTime(),
              effectiveAtMs: effectiveAt.getTime(),
            },
          ],
          typedSearchAttributes: [{ key: ProcessKindKey, value: 'policy' }],
        });
      } catch (err) {
        throw new AppError('unavailable', 'the policy process could not be started; nothing was recorded, try again', {
          retryAfterSeconds: 5,
          cause: err,
        });
      }
    });
    return view(row);
  }

  /** For each kind, the version in force at `at` and the next one; the switch is exactly at effectiveAt. */
  async current(em: EntityManager, at = this.clock()) {
    const { inForce, upcoming } = await policiesAt(em, at);
    return {
      data: KINDS.map((kind) => {
        const now = inForce.find((p) => p.kind === kind);
        const next = upcoming.find((p) => p.kind === kind);
        return { kind, inForce: now ? view(now) : null, upcoming: next ? view(next) : null };
      }),
    };
  }
}
