import type { EntityManager } from '@mikro-orm/postgresql';
import { WorkflowNotFoundError, type Client as TemporalClient } from '@temporalio/client';
import { AppError } from '../../lib/errors';
import { uuidv7 } from '../../lib/ids';
import { TASK_QUEUES } from '../../workers/task-queues';
import {
  approveBreachSignal,
  breachUpdateSignal,
  breachWorkflow,
  breachWorkflowId,
  closeBreachSignal,
} from '../../workflows/notices/breach';
import { ProcessKindKey } from '../../workflows/search-attributes';
import type { StaffActor } from '../actor';
import { auditByStaff } from '../audit-log';
import { decodeCursor, toPage, type PageRequest } from '../pagination';
import { deliveriesOf } from '../notices/notice-store';
import {
  affectedAccounts,
  approveBreach,
  breachUpdates,
  closeRequested,
  existingAccounts,
  findBreach,
  insertBreach,
  insertBreachUpdate,
  listBreaches,
  type BreachAssessment,
  type BreachRow,
} from './breach-store';

/** A declaration as the API validated it (api/schemas/breaches.ts). */
export interface DeclareBreachInput extends BreachAssessment {
  awareAt: string;
  affectedAccounts: 'all' | string[];
  noticeRequired: boolean;
  noNoticeReason?: string;
}

const HOUR_MS = 3_600_000;
/** A clock at most this far ahead of ours is not "the future". */
const CLOCK_SKEW_MS = 60_000;

/**
 * The breach register and its process (`breach:<id>` on the notices queue). The database holds the
 * assessment, the timeline and every staff decision (the source of truth); the workflow holds the
 * deadlines and is told of the decisions only after they commit, so a decision rolled back is never
 * applied. Each call tells it every stored decision again (the workflow applies each once), so one
 * whose signal was lost is told with the next decision on the breach.
 */
export class BreachesService {
  constructor(
    private readonly deps: { temporal: TemporalClient },
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async declare(em: EntityManager, actor: StaffActor, body: DeclareBreachInput) {
    const now = this.clock();
    const awareAt = new Date(body.awareAt);
    if (awareAt.getTime() > now.getTime() + CLOCK_SKEW_MS) throw AppError.invalid('awareAt', 'must not be in the future');
    if (!body.noticeRequired && !body.noNoticeReason) {
      throw AppError.invalid('noNoticeReason', 'is required when noticeRequired is false (the register keeps the reason)');
    }
    if (body.noticeRequired && body.noNoticeReason) throw AppError.invalid('noNoticeReason', 'only goes with noticeRequired false');
    const accountIds = body.affectedAccounts === 'all' ? [] : [...new Set(body.affectedAccounts)];
    const known = await existingAccounts(em, accountIds);
    const unknown = accountIds.filter((id) => !known.has(id));
    if (unknown.length > 0) throw AppError.invalid('affectedAccounts', `no such account: ${unknown.slice(0, 5).join(', ')}`);

    const id = uuidv7(now.getTime());
    const row: BreachRow = {
      id,
      description: body.description,
      nature: body.nature,
      subjectCategories: body.subjectCategories,
      recordCategories: body.recordCategories,
      approxSubjects: body.approxSubjects,
      approxRecords: body.approxRecords,
      likelyConsequences: body.likelyConsequences,
      measures: body.measures,
      contact: body.contact,
      awareAt,
      declaredAt: now,
      declaredBy: actor.staffUserId,
      affectsAll: body.affectedAccounts === 'all',
      noticeRequired: body.noticeRequired,
      noNoticeReason: body.noNoticeReason ?? null,
      status: body.noticeRequired ? 'assessing' : 'no_notice',
      contentVersion: 1,
      approvedAt: null,
      approvedBy: null,
    };
    await em.transactional(async (tem) => {
      await insertBreach(tem, row, accountIds);
      await auditByStaff(
        tem,
        actor,
        'breach.declared',
        { type: 'breach', id: breachWorkflowId(id) },
        {
          awareAt: awareAt.toISOString(),
          affectedAccounts: body.affectedAccounts === 'all' ? 'all' : accountIds.length,
          noticeRequired: body.noticeRequired,
          hoursSinceAwareness: Math.floor((now.getTime() - awareAt.getTime()) / HOUR_MS),
        },
      );
      // Started inside the transaction: a start refused rolls the declaration back (503, declare again).
      await this.start(id, awareAt, body.noticeRequired);
    });
    return this.get(em.fork(), id);
  }

  private async start(id: string, awareAt: Date, noticeRequired: boolean): Promise<void> {
    try {
      await this.deps.temporal.workflow.start(breachWorkflow, {
        taskQueue: TASK_QUEUES.notices,
        workflowId: breachWorkflowId(id),
        staticSummary: `Breach ${id}${noticeRequired ? ' (notice required)' : ''}`,
        args: [{ breachId: id, awareAtMs: awareAt.getTime(), noticeRequired }],
        typedSearchAttributes: [{ key: ProcessKindKey, value: 'breach' }],
      });
    } catch (err) {
      throw new AppError('unavailable', 'the breach process could not be started; nothing was recorded, declare it again', {
        retryAfterSeconds: 5,
        cause: err,
      });
    }
  }

  async approve(em: EntityManager, actor: StaffActor, id: string, body: { assessment: BreachAssessment }) {
    await em.transactional(async (tem) => {
      const breach = await findBreach(tem, id, { forUpdate: true });
      if (!breach) throw AppError.notFound('breach');
      if (breach.status === 'no_notice')
        throw new AppError('conflict', 'this breach was recorded as needing no notice: there is nothing to approve');
      if (breach.status === 'approved') throw new AppError('conflict', 'the assessment is already approved; post an update instead');
      const assessment = body.assessment;
      await approveBreach(tem, id, actor.staffUserId, this.clock(), assessment);
      const contentVersion = breach.contentVersion + 1;
      await auditByStaff(tem, actor, 'breach.approved', { type: 'breach', id: breachWorkflowId(id) }, { contentVersion });
    });
    await this.tellProcess(em.fork(), id);
    return this.get(em.fork(), id);
  }

  async addUpdate(em: EntityManager, actor: StaffActor, id: string, summary: string) {
    await em.transactional(async (tem) => {
      const breach = await findBreach(tem, id, { forUpdate: true });
      if (!breach) throw AppError.notFound('breach');
      if (breach.status === 'no_notice') throw new AppError('conflict', 'this breach was recorded as needing no notice');
      const seq = await insertBreachUpdate(tem, id, summary, actor.staffUserId, this.clock());
      await auditByStaff(tem, actor, 'breach.update_posted', { type: 'breach', id: breachWorkflowId(id) }, { seq });
    });
    await this.tellProcess(em.fork(), id);
    return this.get(em.fork(), id);
  }

  async close(em: EntityManager, actor: StaffActor, id: string) {
    await em.transactional(async (tem) => {
      const breach = await findBreach(tem, id, { forUpdate: true });
      if (!breach) throw AppError.notFound('breach');
      await auditByStaff(tem, actor, 'breach.close_requested', { type: 'breach', id: breachWorkflowId(id) });
    });
    await this.tellProcess(em.fork(), id);
    return this.get(em.fork(), id);
  }

  /**
   * After the commit: signals the process every stored decision (the approval with its content
   * version, each update by seq, a close). Idempotent: the workflow applies each decision once. A
   * process that has ended needs telling nothing.
   */
  private async tellProcess(em: EntityManager, id: string): Promise<void> {
    const breach = await findBreach(em, id);
    if (!breach) return;
    const [updates, close] = await Promise.all([breachUpdates(em, id), closeRequested(em, id)]);
    const handle = this.deps.temporal.workflow.getHandle(breachWorkflowId(id));
    try {
      if (breach.status === 'approved') await handle.signal(approveBreachSignal, { contentVersion: breach.contentVersion });
      for (const u of updates) await handle.signal(breachUpdateSignal, { seq: u.seq });
      if (close) await handle.signal(closeBreachSignal);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return;
      throw new AppError(
        'unavailable',
        'the decision is stored, but the breach process could not be told yet: it is told with the next decision on this breach (repeating a close is harmless)',
        { retryAfterSeconds: 5, cause: err },
      );
    }
  }

  async get(em: EntityManager, id: string) {
    const breach = await findBreach(em, id);
    if (!breach) throw AppError.notFound('breach');
    const [view] = await this.views(em, [breach]);
    return view!;
  }

  async list(em: EntityManager, page: PageRequest) {
    const rows = await listBreaches(em, decodeCursor(page.cursor), page.limit + 1);
    const views = await this.views(em, rows.slice(0, page.limit));
    return toPage(
      rows.map((r, i) => ({ id: r.id, view: views[i] })),
      page.limit,
      (r) => r.view!,
    );
  }

  private async views(em: EntityManager, rows: BreachRow[]) {
    const ids = rows.map((r) => r.id);
    const [affected, deliveries] = await Promise.all([affectedAccounts(em, ids), deliveriesOf(em, ids.map(breachWorkflowId))]);
    const updates = await Promise.all(ids.map((id) => breachUpdates(em, id)));
    return rows.map((b, i) => ({
      id: b.id,
      processId: breachWorkflowId(b.id),
      status: b.status,
      description: b.description,
      nature: b.nature,
      subjectCategories: b.subjectCategories,
      recordCategories: b.recordCategories,
      approxSubjects: b.approxSubjects,
      approxRecords: b.approxRecords,
      likelyConsequences: b.likelyConsequences,
      measures: b.measures,
      contact: b.contact,
      affectedAccounts: b.affectsAll ? ('all' as const) : (affected.get(b.id) ?? []),
      noticeRequired: b.noticeRequired,
      noNoticeReason: b.noNoticeReason,
      contentVersion: b.contentVersion,
      timeline: {
        awareAt: b.awareAt.toISOString(),
        declaredAt: b.declaredAt.toISOString(),
        deadlineAt: new Date(b.awareAt.getTime() + 72 * HOUR_MS).toISOString(),
        approvedAt: b.approvedAt?.toISOString() ?? null,
        notices: deliveries
          .filter((d) => d.processId === breachWorkflowId(b.id) && d.recipientKind === 'account')
          .map((d) => ({
            phase: d.phase,
            accountId: d.recipientId,
            sentAt: d.sentAt.toISOString(),
            contentVersion: d.contentVersion,
            email: d.email,
          })),
        updates: updates[i]!.map((u) => ({ seq: u.seq, summary: u.summary, createdAt: u.createdAt.toISOString() })),
      },
    }));
  }
}
