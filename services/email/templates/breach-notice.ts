import type { BreachAssessment } from '../../breaches/breach-store';
import { escapeHtml } from './escape-html';

export type BreachNoticeKind = 'full' | 'initial' | 'follow-up' | 'update';

export interface BreachNoticeInput {
  breachId: string;
  kind: BreachNoticeKind;
  awareAt: Date;
  assessment: BreachAssessment;
  /** Updates posted so far, oldest first (an update phase leads with the newest). */
  updates: { seq: number; summary: string }[];
}

const SUBJECTS: Record<BreachNoticeKind, string> = {
  full: 'Notice of a personal data breach',
  initial: 'Initial notice of a personal data breach (more information follows)',
  'follow-up': 'Personal data breach: full notice following our initial notice',
  update: 'Personal data breach: update',
};

const about = (n: number | null) => (n === null ? 'not yet known' : `about ${n}`);

/** The notice to a controller, with the contents of GDPR Art. 33(3) as known now. */
export function breachNoticeEmail(input: BreachNoticeInput): { subject: string; text: string; html: string; title: string } {
  const a = input.assessment;
  const latest = input.updates[input.updates.length - 1];
  const lead =
    input.kind === 'initial'
      ? 'We are notifying you of a personal data breach affecting data we process for you. Our assessment is not complete: this notice says what we know now, and further information will follow in phases.'
      : input.kind === 'update' && latest
        ? `Update ${latest.seq} on the personal data breach we notified you of: ${latest.summary}`
        : 'We are notifying you of a personal data breach affecting data we process for you.';
  const facts: [string, string][] = [
    ['Reference', input.breachId],
    ['We became aware at', input.awareAt.toISOString()],
    ['What happened', a.description],
    ['Nature of the breach', a.nature],
    ['Categories of data subjects', a.subjectCategories.join(', ')],
    ['Approximate number of data subjects', about(a.approxSubjects)],
    ['Categories of personal data records', a.recordCategories.join(', ')],
    ['Approximate number of records', about(a.approxRecords)],
    ['Likely consequences', a.likelyConsequences],
    ['Measures taken or proposed', a.measures],
    ['Contact for more information', a.contact],
  ];
  const updates = input.updates.map((u) => `Update ${u.seq}: ${u.summary}`);
  const text = [lead, '', ...facts.map(([k, v]) => `${k}: ${v}`), ...(updates.length ? ['', ...updates] : [])].join('\n');
  const html = [
    `<p>${escapeHtml(lead)}</p>`,
    '<ul>',
    ...facts.map(([k, v]) => `<li>${escapeHtml(k)}: ${escapeHtml(v)}</li>`),
    '</ul>',
    ...updates.map((u) => `<p>${escapeHtml(u)}</p>`),
  ].join('\n');
  return { subject: SUBJECTS[input.kind], text, html, title: SUBJECTS[input.kind] };
}

/** To security and privacy staff while the assessment is open. */
export function breachReminderEmail(input: { breachId: string; hours: number; deadlineAt: Date }): {
  subject: string;
  text: string;
  html: string;
} {
  const subject = `Breach ${input.breachId}: ${input.hours} hours since awareness, notice due by ${input.deadlineAt.toISOString()}`;
  const text = [
    `${input.hours} hours have passed since we became aware of breach ${input.breachId}.`,
    `Affected controllers must be notified by ${input.deadlineAt.toISOString()} (72 hours after awareness).`,
    'If the assessment is not approved 66 hours after awareness, the initial notice goes out automatically.',
    `Approve it with: npm run staff -- breach-approve ${input.breachId}`,
  ].join('\n');
  const html = text
    .split('\n')
    .map((l) => `<p>${escapeHtml(l)}</p>`)
    .join('\n');
  return { subject, text, html };
}
