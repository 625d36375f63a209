import type { SubprocessorRow } from '../../subprocessors/subprocessor-store';
import { escapeHtml } from './escape-html';

const paragraphs = (lines: string[]) =>
  lines
    .filter((l) => l.length > 0)
    .map((l) => `<p>${escapeHtml(l)}</p>`)
    .join('\n');

/** To every active account when a subprocessor is announced. */
export function subprocessorAnnouncementEmail(s: SubprocessorRow) {
  const subject = `New subprocessor: ${s.name} (from ${s.effectiveAt.toISOString().slice(0, 10)})`;
  const lines = [
    `We will start using ${s.name} as a subprocessor on ${s.effectiveAt.toISOString()}.`,
    `Purpose: ${s.purpose}`,
    `Locations: ${s.locations.join(', ')}`,
    `Recipient data reaches it: ${s.recipientData ? 'yes' : 'no'}`,
    `Until then you may object: POST /v1/subprocessors/${s.id}/objections with your reason. Your data will not reach ${s.name} while an objection is unresolved.`,
  ];
  return { subject, text: lines.join('\n'), html: paragraphs(lines), title: subject };
}

/** To an account whose objection stayed unresolved at the effective date. */
export function subprocessorExcludedEmail(s: SubprocessorRow) {
  const subject = `${s.name} is now a subprocessor; your data stays out of it`;
  const lines = [
    `${s.name} became an active subprocessor on ${s.activatedAt?.toISOString() ?? s.effectiveAt.toISOString()}.`,
    `Your objection is unresolved, so none of your data is sent to ${s.name}: the services that need it (${s.purpose}) run without it for your account.`,
    'You may terminate the affected services: reply to this email or contact privacy@massivesms.example, or close your account with POST /v1/account/termination.',
  ];
  return { subject, text: lines.join('\n'), html: paragraphs(lines), title: subject };
}

export interface PolicyNoticeInput {
  kind: 'privacy' | 'dpa';
  version: string;
  effectiveAt: Date;
  url: string | null;
}

const POLICY_NAMES = { privacy: 'Privacy Policy', dpa: 'Data Processing Agreement' } as const;

/** To every account holder when a material policy change is published. */
export function policyChangeEmail(p: PolicyNoticeInput) {
  const name = POLICY_NAMES[p.kind];
  const subject = `Our ${name} changes on ${p.effectiveAt.toISOString().slice(0, 10)} (version ${p.version})`;
  const lines = [
    `We are making a material change to our ${name}. Version ${p.version} takes effect on ${p.effectiveAt.toISOString()}.`,
    p.url ? `Read it at ${p.url}.` : 'Read it with GET /v1/policies.',
    'Until then the current version stays in force.',
  ];
  return { subject, text: lines.join('\n'), html: paragraphs(lines), title: subject };
}
