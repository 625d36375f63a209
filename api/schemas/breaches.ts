import { z } from 'zod';
import { label } from './common';

const text = (max: number) => label(max);
const categories = z.array(text(200)).min(1).max(50);
const approx = z.number().int().min(0).max(2_000_000_000).nullable();

const BreachAssessmentFields = {
  description: text(10_000),
  nature: text(5_000).describe('Nature of the breach (Art. 33(3)(a))'),
  subjectCategories: categories.describe('Categories of data subjects concerned'),
  recordCategories: categories.describe('Categories of personal data records concerned'),
  approxSubjects: approx.describe('Approximate number of data subjects (null: not yet known)'),
  approxRecords: approx.describe('Approximate number of records (null: not yet known)'),
  likelyConsequences: text(5_000),
  measures: text(5_000).describe('Measures taken or proposed, including to mitigate possible adverse effects'),
  contact: text(500).describe('Who controllers contact for more information (DPO or other contact point)'),
};

export const BreachAssessmentBody = z.object(BreachAssessmentFields).strict();

export const DeclareBreachBody = z
  .object({
    ...BreachAssessmentFields,
    awareAt: z.iso.datetime({ offset: true }).describe('When the company became aware (may be in the past; not in the future)'),
    affectedAccounts: z
      .union([z.literal('all'), z.array(z.uuid()).min(1).max(10_000)])
      .describe('The controllers affected: account ids, or "all" (every active account when a notice goes out)'),
    noticeRequired: z.boolean().describe('false records a "no notice" decision in the register, with its reason'),
    noNoticeReason: text(5_000).optional().describe('Required when noticeRequired is false'),
  })
  .strict();

export const ApproveBreachBody = z
  .object({ assessment: BreachAssessmentBody.describe('The completed assessment, replacing the declared one: the notice carries it') })
  .strict();

export const BreachUpdateBody = z.object({ summary: text(10_000) }).strict();

export const BreachNoticeSchema = z.object({
  phase: z.string(),
  accountId: z.uuid(),
  sentAt: z.string(),
  contentVersion: z.string(),
  email: z.string().describe('sent, or why not: no_contact, vendor_not_allowed, failed:<provider code>'),
});

export const BreachSchema = z.object({
  id: z.uuid(),
  processId: z.string().describe('The Temporal workflow id (breach:<id>)'),
  status: z.enum(['assessing', 'approved', 'no_notice']),
  description: z.string(),
  nature: z.string(),
  subjectCategories: z.array(z.string()),
  recordCategories: z.array(z.string()),
  approxSubjects: z.number().nullable(),
  approxRecords: z.number().nullable(),
  likelyConsequences: z.string(),
  measures: z.string(),
  contact: z.string(),
  affectedAccounts: z.union([z.literal('all'), z.array(z.uuid())]),
  noticeRequired: z.boolean(),
  noNoticeReason: z.string().nullable(),
  contentVersion: z.number(),
  timeline: z.object({
    awareAt: z.string(),
    declaredAt: z.string(),
    deadlineAt: z.string(),
    approvedAt: z.string().nullable(),
    notices: z.array(BreachNoticeSchema),
    updates: z.array(z.object({ seq: z.number(), summary: z.string(), createdAt: z.string() })),
  }),
});
