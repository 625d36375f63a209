import { analyzeSms } from '../../lib/sms/encoding';
import { AppError } from '../../lib/errors';
import { parseTemplate, renderTemplate, type ParsedTemplate, type TemplateContact } from '../../lib/campaign-template';

export {
  parseTemplate,
  renderTemplate,
  scanTemplate,
  TEMPLATE_VARIABLE_NAMES,
  type ParsedTemplate,
  type TemplateContact,
  type TemplatePart,
  type TemplateProblem,
} from '../../lib/campaign-template';

/** The message a contact gets: its text, encoding and segments (the preview, the estimate and the send all use this). */
export function renderMessageFor(template: ParsedTemplate, contact: TemplateContact) {
  const body = renderTemplate(template, contact);
  const { encoding, segments } = analyzeSms(body);
  return { body, encoding, segments };
}

/** The template parsed, or a 422 naming every placeholder that is wrong. */
export function requireTemplate(text: string): ParsedTemplate {
  const parsed = parseTemplate(text);
  if (parsed.ok) return parsed.template;
  const fields = parsed.problems.map((p) => ({ field: 'template', reason: `${p.placeholder} ${p.reason}` }));
  throw new AppError('validation', fields.map((f) => `${f.field}: ${f.reason}`).join('; '), { fields });
}
