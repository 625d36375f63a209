import { describe, expect, it } from 'vitest';
import { parseTemplate, renderTemplate, type ParsedTemplate } from '../services/campaigns/template';

function parsed(text: string): ParsedTemplate {
  const result = parseTemplate(text);
  if (!result.ok) throw new Error(`expected ${text} to parse: ${JSON.stringify(result.problems)}`);
  return result.template;
}

const problemsOf = (text: string) => {
  const result = parseTemplate(text);
  return result.ok ? [] : result.problems;
};

describe('campaign templates', () => {
  it('renders name and attributes, with defaults only where a value is missing or blank', () => {
    const t = parsed('Hi {{ name | "there" }}, your {{attributes.plan}} renews in {{attributes.city|"your town"}}.');
    expect(t.variables).toEqual(['name', 'attributes.plan', 'attributes.city']);
    expect(renderTemplate(t, { name: 'Ada', attributes: { plan: 'Pro', city: 'Oslo' } })).toBe('Hi Ada, your Pro renews in Oslo.');
    expect(renderTemplate(t, { name: null, attributes: { plan: 3, city: '  ' } })).toBe('Hi there, your 3 renews in your town.');
    expect(renderTemplate(t, { name: 'Ada', attributes: {} })).toBe('Hi Ada, your  renews in your town.');
  });

  it('keeps text around and between placeholders exactly, and escaped quotes in a default', () => {
    const t = parsed('{{name}}{{name}} – {{ name | "the \\"best\\" customer" }}!');
    expect(t.variables).toEqual(['name']);
    expect(renderTemplate(t, { name: 'Bo', attributes: {} })).toBe('BoBo – Bo!');
    expect(renderTemplate(t, { name: null, attributes: {} })).toBe(' – the "best" customer!');
    expect(renderTemplate(parsed('no placeholders'), { name: 'x', attributes: {} })).toBe('no placeholders');
  });

  it('refuses unknown variables, naming each', () => {
    expect(problemsOf('Hi {{firstName}} from {{ company }}')).toEqual([
      { placeholder: '{{firstName}}', reason: 'unknown variable "firstName" (known: name, attributes.<key>)' },
      { placeholder: '{{ company }}', reason: 'unknown variable "company" (known: name, attributes.<key>)' },
    ]);
    expect(problemsOf('{{attributes.}}')).toEqual([
      { placeholder: '{{attributes.}}', reason: 'unknown variable "attributes." (known: name, attributes.<key>)' },
    ]);
  });

  it('refuses placeholders that are not {{variable}} or {{variable | "default"}}, and unmatched braces', () => {
    expect(problemsOf('Hi {{name | there}}')).toEqual([
      { placeholder: '{{name | there}}', reason: 'is not {{variable}} or {{variable | "default"}}' },
    ]);
    expect(problemsOf('Hi {{}}')).toEqual([{ placeholder: '{{}}', reason: 'is not {{variable}} or {{variable | "default"}}' }]);
    expect(problemsOf('Hi {{name')).toEqual([{ placeholder: 'Hi {{name', reason: 'has unmatched {{ or }}' }]);
    expect(problemsOf('Hi name}} and {{name}}')).toEqual([{ placeholder: 'Hi name}} and ', reason: 'has unmatched {{ or }}' }]);
  });
});
