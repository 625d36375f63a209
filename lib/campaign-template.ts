/**
 * Campaign templates: text with `{{name}}` and `{{attributes.<key>}}` placeholders, each with an
 * optional default used when the contact has no value: `{{name | "there"}}`. A missing value
 * without a default renders as nothing (the preview shows it). Anything else between braces is
 * refused when the campaign is written, naming the placeholder, so no campaign fails mid-send.
 * Pure, so the console's live preview (web/) renders exactly what the API will.
 */
export type TemplatePart = string | { variable: string; fallback: string };

export interface ParsedTemplate {
  parts: TemplatePart[];
  /** Each variable once, in order of first use: `name`, `attributes.city`, … */
  variables: string[];
}

export type TemplateProblem = { placeholder: string; reason: string };

/** What a contact attribute holds (the API's attribute values). */
export type TemplateValue = string | number | boolean | null;

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const EXPRESSION = /^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\|\s*"((?:[^"\\]|\\.)*)"\s*)?$/;
const ATTRIBUTE = /^attributes\.[A-Za-z0-9_-]{1,64}$/;
export const TEMPLATE_VARIABLE_NAMES = ['name', 'attributes.<key>'] as const;

const isKnownVariable = (variable: string) => variable === 'name' || ATTRIBUTE.test(variable);
const unescape = (text: string) => text.replace(/\\(.)/g, '$1');

/** The template's parts and variables, and every placeholder that is wrong (the valid parts still render). */
export function scanTemplate(text: string): ParsedTemplate & { problems: TemplateProblem[] } {
  const parts: TemplatePart[] = [];
  const variables: string[] = [];
  const problems: TemplateProblem[] = [];
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const literal = text.slice(last, match.index);
    if (literal.includes('{{') || literal.includes('}}')) problems.push(strayBraces(literal));
    if (literal) parts.push(literal);
    last = match.index + match[0].length;
    const expression = EXPRESSION.exec(match[1]!);
    if (!expression) {
      problems.push({ placeholder: match[0], reason: 'is not {{variable}} or {{variable | "default"}}' });
      continue;
    }
    const variable = expression[1]!;
    if (!isKnownVariable(variable)) {
      problems.push({ placeholder: match[0], reason: `unknown variable "${variable}" (known: ${TEMPLATE_VARIABLE_NAMES.join(', ')})` });
      continue;
    }
    if (!variables.includes(variable)) variables.push(variable);
    parts.push({ variable, fallback: unescape(expression[2] ?? '') });
  }
  const tail = text.slice(last);
  if (tail.includes('{{') || tail.includes('}}')) problems.push(strayBraces(tail));
  if (tail) parts.push(tail);
  return { parts, variables, problems };
}

export function parseTemplate(text: string): { ok: true; template: ParsedTemplate } | { ok: false; problems: TemplateProblem[] } {
  const { parts, variables, problems } = scanTemplate(text);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, template: { parts, variables } };
}

function strayBraces(literal: string): TemplateProblem {
  const at = Math.max(literal.indexOf('{{'), literal.indexOf('}}'));
  return { placeholder: literal.slice(Math.max(0, at - 10), at + 12), reason: 'has unmatched {{ or }}' };
}

export interface TemplateContact {
  name: string | null;
  attributes: Record<string, TemplateValue | undefined>;
}

function valueOf(contact: TemplateContact, variable: string): string | null {
  const raw = variable === 'name' ? contact.name : contact.attributes[variable.slice('attributes.'.length)];
  if (raw === null || raw === undefined) return null;
  const text = String(raw);
  return text.trim() === '' ? null : text;
}

export function renderTemplate(template: ParsedTemplate, contact: TemplateContact): string {
  return template.parts.map((part) => (typeof part === 'string' ? part : (valueOf(contact, part.variable) ?? part.fallback))).join('');
}
