import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { normalizePhone, normalizePhoneSlow, compiledPhonePatterns } from '../lib/phone';

/** Deterministic pseudo-random digits, so a failure names a reproducible number. */
function* numbers(count: number): Generator<string> {
  let seed = 42;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
  for (let i = 0; i < count; i++) {
    const length = 7 + (next() % 9);
    let digits = String(1 + (next() % 9));
    while (digits.length < length) digits += String(next() % 10);
    yield `+${digits}`;
  }
}

describe('phone normalization', () => {
  it('the E.164 fast path agrees with the full parser on 50,000 random numbers', () => {
    let valid = 0;
    for (const n of numbers(50_000)) {
      const fast = normalizePhone(n);
      expect(fast.ok, n).toBe(normalizePhoneSlow(n).ok);
      if (fast.ok) {
        valid += 1;
        expect(fast.e164).toBe((normalizePhoneSlow(n) as { e164: string }).e164);
      }
    }
    expect(valid).toBeGreaterThan(1000); // the sample must exercise both outcomes
  });

  it('normalizes national formats in the default country and rejects junk with a reason', () => {
    expect(normalizePhone('(415) 555-2671')).toEqual({ ok: true, e164: '+14155552671' });
    expect(normalizePhone('020 7946 0018', 'GB')).toEqual({ ok: true, e164: '+442079460018' });
    expect(normalizePhone('')).toEqual({ ok: false, reason: 'phone is empty' });
    expect(normalizePhone('hello')).toEqual({ ok: false, reason: 'not a phone number' });
    expect(normalizePhone('+1415555000')).toMatchObject({ ok: false });
  });

  it("compiles each of libphonenumber's validity patterns once, answering as the library's own helper does", () => {
    expect(compiledPhonePatterns).toBeInstanceOf(Map);
    const file = join(dirname(require.resolve('libphonenumber-js/package.json')), 'build', 'helpers', 'matchesEntirely.js');
    const helper = (createRequire(__filename)(file) as { default: (text: string | undefined, pattern: string) => boolean }).default;
    const shipped = (text: string | undefined, pattern: string) => new RegExp('^(?:' + pattern + ')$').test(text || '');
    const cases: [string | undefined, string][] = [
      ['2015550123', '[2-9]\\d{9}'],
      ['1015550123', '[2-9]\\d{9}'],
      ['12', '1|12'],
      ['312', '1|12'],
      [undefined, '\\d{0}'],
      ['', '\\d{2}'],
    ];
    for (const [text, pattern] of cases) expect(helper(text, pattern), `${text} ~ ${pattern}`).toBe(shipped(text, pattern));
    const before = compiledPhonePatterns!.size;
    for (let i = 0; i < 3; i++) expect(helper('4155550100', '(?:4[1-9]|5\\d)\\d{8}|once')).toBe(true);
    expect(compiledPhonePatterns!.size).toBe(before + 1);
    expect(compiledPhonePatterns!.get('(?:4[1-9]|5\\d)\\d{8}|once')).toBeInstanceOf(RegExp);
  });
});
