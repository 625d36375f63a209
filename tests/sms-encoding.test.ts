import { describe, expect, it } from 'vitest';
import { analyzeSms } from '../lib/sms/encoding';

const EMOJI = '😀'; // U+1F600: one code point, a surrogate pair (2 UTF-16 code units)

describe('GSM-7 vs UCS-2 detection', () => {
  it('an empty body is GSM-7 with nothing to send', () => {
    expect(analyzeSms('')).toEqual({ encoding: 'GSM-7', segments: 0, units: 0 });
  });

  it('every character of the GSM 03.38 basic table costs one septet', () => {
    const basic =
      '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
    expect([...basic]).toHaveLength(127); // 128 codes less the escape
    expect(analyzeSms(basic)).toEqual({ encoding: 'GSM-7', segments: 1, units: 127 });
  });

  it('every character of the extension table costs two septets', () => {
    for (const c of ['\f', '^', '{', '}', '\\', '[', '~', ']', '|', '€']) {
      expect(analyzeSms(c), JSON.stringify(c)).toEqual({ encoding: 'GSM-7', segments: 1, units: 2 });
    }
  });

  it('é, ü, É, Ü, Ç, ñ and à are GSM-7', () => {
    expect(analyzeSms('éüÉÜÇñà')).toEqual({ encoding: 'GSM-7', segments: 1, units: 7 });
  });

  it('lowercase ç is not GSM-7 (only Ç is in the table), nor are ê, á, Ú, `, a tab or the escape code itself', () => {
    for (const c of ['ç', 'ê', 'á', 'Ú', '`', '\t', '\u001b']) {
      expect(analyzeSms(`ok ${c}`), JSON.stringify(c)).toEqual({ encoding: 'UCS-2', segments: 1, units: 4 });
    }
  });

  it('a single non-GSM character switches the whole message to UCS-2 and to the 70/67 limits', () => {
    const gsm = 'a'.repeat(100);
    expect(analyzeSms(gsm)).toEqual({ encoding: 'GSM-7', segments: 1, units: 100 });
    // 100 septets would be one GSM segment; as 101 UTF-16 units it is ceil(101/67) = 2 UCS-2 segments.
    expect(analyzeSms(`${gsm}ç`)).toEqual({ encoding: 'UCS-2', segments: 2, units: 101 });
    expect(analyzeSms(`${gsm}€`)).toEqual({ encoding: 'GSM-7', segments: 1, units: 102 });
  });
});

describe('GSM-7 segments: 160, then 153 each', () => {
  it('160 septets are one segment, 161 are two', () => {
    expect(analyzeSms('a'.repeat(160))).toEqual({ encoding: 'GSM-7', segments: 1, units: 160 });
    expect(analyzeSms('a'.repeat(161))).toEqual({ encoding: 'GSM-7', segments: 2, units: 161 });
  });

  it('153×2 septets are two segments, 153×2+1 are three', () => {
    expect(analyzeSms('a'.repeat(306))).toEqual({ encoding: 'GSM-7', segments: 2, units: 306 });
    expect(analyzeSms('a'.repeat(307))).toEqual({ encoding: 'GSM-7', segments: 3, units: 307 });
    expect(analyzeSms('a'.repeat(459))).toEqual({ encoding: 'GSM-7', segments: 3, units: 459 });
  });

  it('extension characters count two toward the 160 single-segment limit', () => {
    expect(analyzeSms('a'.repeat(158) + '€')).toEqual({ encoding: 'GSM-7', segments: 1, units: 160 });
    expect(analyzeSms('a'.repeat(159) + '€')).toEqual({ encoding: 'GSM-7', segments: 2, units: 161 });
    expect(analyzeSms('{'.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1, units: 160 });
    expect(analyzeSms('{'.repeat(81))).toEqual({ encoding: 'GSM-7', segments: 2, units: 162 });
  });

  it('an extension character that would straddle septet 153/154 moves whole to the next segment', () => {
    // After 152 septets the € (escape + code) would be septets 153 and 154: it moves to segment 2, so
    // segment 1 holds 152, segment 2 the € and 151, segment 3 the last one: 3 segments for 306 septets.
    expect(analyzeSms('a'.repeat(152) + '€' + 'a'.repeat(152))).toEqual({ encoding: 'GSM-7', segments: 3, units: 306 });
    // The same 306 septets without a straddle fill exactly two segments.
    expect(analyzeSms('a'.repeat(151) + '€' + 'a'.repeat(153))).toEqual({ encoding: 'GSM-7', segments: 2, units: 306 });
    expect(analyzeSms('a'.repeat(153) + '€' + 'a'.repeat(151))).toEqual({ encoding: 'GSM-7', segments: 2, units: 306 });
  });

  it('a message of only extension characters loses one septet per segment (76 fit in 153)', () => {
    // 77 × 2 = 154 > 153 per segment: 76 per segment, so 153 of them take ceil(153/76) = 3 segments.
    expect(analyzeSms('|'.repeat(153))).toEqual({ encoding: 'GSM-7', segments: 3, units: 306 });
    expect(analyzeSms('|'.repeat(152))).toEqual({ encoding: 'GSM-7', segments: 2, units: 304 });
  });
});

describe('UCS-2 segments: 70, then 67 each, in UTF-16 code units', () => {
  it('70 units are one segment, 71 are two', () => {
    expect(analyzeSms('ж'.repeat(70))).toEqual({ encoding: 'UCS-2', segments: 1, units: 70 });
    expect(analyzeSms('ж'.repeat(71))).toEqual({ encoding: 'UCS-2', segments: 2, units: 71 });
  });

  it('67×2 units are two segments, 67×2+1 are three', () => {
    expect(analyzeSms('ж'.repeat(134))).toEqual({ encoding: 'UCS-2', segments: 2, units: 134 });
    expect(analyzeSms('ж'.repeat(135))).toEqual({ encoding: 'UCS-2', segments: 3, units: 135 });
  });

  it('an emoji counts two code units toward the 70 limit', () => {
    expect(analyzeSms(EMOJI)).toEqual({ encoding: 'UCS-2', segments: 1, units: 2 });
    expect(analyzeSms(EMOJI.repeat(35))).toEqual({ encoding: 'UCS-2', segments: 1, units: 70 });
    expect(analyzeSms(EMOJI.repeat(35) + 'a')).toEqual({ encoding: 'UCS-2', segments: 2, units: 71 });
  });

  it('a surrogate pair that would straddle unit 67/68 moves whole to the next segment', () => {
    // 66 + 2 + 66 = 134 units, but the emoji at units 67–68 cannot be split: segments of 66, 67, 1.
    expect(analyzeSms('ж'.repeat(66) + EMOJI + 'ж'.repeat(66))).toEqual({ encoding: 'UCS-2', segments: 3, units: 134 });
    // The same 134 units with the pair inside a segment fill exactly two.
    expect(analyzeSms('ж'.repeat(65) + EMOJI + 'ж'.repeat(67))).toEqual({ encoding: 'UCS-2', segments: 2, units: 134 });
    // Only emoji: 33 pairs (66 units) per segment, so 67 of them (134 units) take 3 segments, not ceil(134/67) = 2.
    expect(analyzeSms(EMOJI.repeat(66))).toEqual({ encoding: 'UCS-2', segments: 2, units: 132 });
    expect(analyzeSms(EMOJI.repeat(67))).toEqual({ encoding: 'UCS-2', segments: 3, units: 134 });
  });
});
