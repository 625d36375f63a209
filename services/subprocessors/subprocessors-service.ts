import type { EntityManager } from '@mikro-orm/postgresql';
import type { Client as TemporalClient } from '@temporalio/client';
import { AppError } from '../../lib/errors';
import { uuidv7 } from '../../lib/ids';
import { TASK_QUEUES } from '../../workers/task-queues';
import { ProcessKindKey } from '../../workflows/search-attributes';
import { subprocessorWorkflow, subprocessorWorkflowId } from '../../workflows/notices/subprocessor';
import type { AccountActor, StaffActor } from '../actor';
import { auditByKey, auditByStaff } from '../audit-log';
import { decodeCursor, toPage, type PageRequest } from '../pagination';
import {
  findSubprocessor,
  insertObjection,
  insertSubprocessor,
  listChangelog,
  listSubprocessors,
  objectionsTo,
  publishChangelog,
  resolveObjection,
  type ObjectionRow,
  type SubprocessorRow,
} from './subprocessor-store';

/** The DPA's notice period, checked here so a short one is refused with its rule (the workflow enforces it too). */
export const SUBPROCESSOR_NOTICE_DAYS = 30;
const DAY_MS = 86_400_000;

export interface AnnounceSubprocessorInput {
  vendor: string;
  name: string;
  purpose: string;
  locations: string[];
  recipientData: boolean;
  effectiveAt: string;
}

const view = (s: SubprocessorRow) => ({
  id: s.id,
  vendor: s.vendor,
  name: s.name,
  purpose: s.purpose,
  locations: s.locations,
  recipientData: s.recipientData,
  status: s.status,
  announcedAt: s.announcedAt.toISOString(),
  effectiveAt: s.effectiveAt.toISOString(),
  activatedAt: s.activatedAt?.toISOString() ?? null,
});

const objectionView = (o: ObjectionRow) => ({
  id: o.id,
  subprocessorId: o.subprocessorId,
  accountId: o.accountId,
  reason: o.reason,
  status: o.status,
  createdAt: o.createdAt.toISOString(),
  resolvedAt: o.resolvedAt?.toISOString() ?? null,
});

/** Subprocessor announcements (`subprocessor:<id>`), customers' objections and the public changelog. */
export class SubprocessorsService {
  constructor(
    private readonly deps: { temporal: TemporalClient },
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async announce(em: EntityManager, actor: StaffActor, body: AnnounceSubprocessorInput) {
    const now = this.clock();
    const effectiveAt = new Date(body.effectiveAt);
    if (effectiveAt.getTime() < now.getTime() + SUBPROCESSOR_NOTICE_DAYS * DAY_MS) {
      throw AppError.invalid('effectiveAt', `must be at least ${SUBPROCESSOR_NOTICE_DAYS} days after the announcement (DPA notice period)`);
    }
    const row: SubprocessorRow = {
      id: uuidv7(now.getTime()),
      vendor: body.vendor,
      name: body.name,
      purpose: body.purpose,
      locations: body.locations,
      recipientData: body.recipientData,
      status: 'pending',
      announcedAt: now,
      effectiveAt,
      activatedAt: null,
    };
    await em.transactional(async (tem) => {
      if (!(await insertSubprocessor(tem, row)))
        throw new AppError('conflict', `a subprocessor with vendor "${body.vendor}" already exists`);
      await publishChangelog(tem, {
        publishedAt: now,
        kind: 'subprocessor',
        ref: `subprocessor:${row.id}:announced`,
        title: `New subprocessor: ${row.name}`,
        body: `${row.name} (${row.purpose}; ${row.locations.join(', ')}) will be used from ${effectiveAt.toISOString()}. Customers may object until then.`,
      });
      await auditByStaff(
        tem,
        actor,
        'subprocessor.announced',
        { type: 'subprocessor', id: subprocessorWorkflowId(row.id) },
        {
          vendor: row.vendor,
          effectiveAt: effectiveAt.toISOString(),
        },
      );
      try {
        await this.deps.temporal.workflow.start(subprocessorWorkflow, {
          taskQueue: TASK_QUEUES.notices,
          workflowId: subprocessorWorkflowId(row.id),
          staticSummary: `Subprocessor ${row.id} announcement`,
          args: [{ subprocessorId: row.id, announcedAtMs: now.getTime(), effectiveAtMs: effectiveAt.getTime() }],
          typedSearchAttributes: [{ key: ProcessKindKey, value: 'subprocessor' }],
        });
      } catch (err) {
        throw new AppError('unavailable', 'the announcement process could not be started; nothing was recorded, try again', {
          retryAfterSeconds: 5,
          cause: err,
        });
      }
    });
    return view(row);
  }

  async list(em: EntityManager) {
    return { data: (await listSubprocessors(em)).map(view) };
  }

  async object(em: EntityManager, actor: AccountActor, id: string, reason: string) {
    const now = this.clock();
    return em.transactional(async (tem) => {
      const s = await findSubprocessor(tem, id, { forUpdate: true });
      if (!s) throw AppError.notFound('subprocessor');
      if (s.status !== 'pending' || now >= s.effectiveAt) {
        throw new AppError(
          'conflict',
          `objections close at the effective date (${s.effectiveAt.toISOString()}); ${s.name} is already in use`,
        );
      }
      const objection = await insertObjection(tem, id, actor.accountId, reason, now);
      if (!objection) throw new AppError('conflict', 'this account has already objected to this subprocessor');
      await auditByKey(tem, actor, 'subprocessor.objected', { type: 'subprocessor_objection', id: objection.id }, { subprocessorId: id });
      return objectionView(objection);
    });
  }

  async accountObjections(em: EntityManager, actor: AccountActor, id: string) {
    if (!(await findSubprocessor(em, id))) throw AppError.notFound('subprocessor');
    return { data: (await objectionsTo(em, id, actor.accountId)).map(objectionView) };
  }

  async objections(em: EntityManager, id: string) {
    if (!(await findSubprocessor(em, id))) throw AppError.notFound('subprocessor');
    return { data: (await objectionsTo(em, id)).map(objectionView) };
  }

  async resolve(em: EntityManager, actor: StaffActor, id: string, objectionId: string, status: 'resolved' | 'unresolved') {
    return em.transactional(async (tem) => {
      const objection = await resolveObjection(tem, id, objectionId, status, actor.staffUserId, this.clock());
      if (!objection) throw AppError.notFound('objection');
      await auditByStaff(
        tem,
        actor,
        `subprocessor.objection_${status}`,
        { type: 'subprocessor_objection', id: objectionId, accountId: objection.accountId },
        {
          subprocessorId: id,
        },
      );
      return objectionView(objection);
    });
  }

  async changelog(em: EntityManager, page: PageRequest) {
    const rows = await listChangelog(em, decodeCursor(page.cursor), page.limit + 1);
    return toPage(rows, page.limit, (r) => ({
      id: r.id,
      publishedAt: r.publishedAt.toISOString(),
      kind: r.kind,
      title: r.title,
      body: r.body,
    }));
  }
}
