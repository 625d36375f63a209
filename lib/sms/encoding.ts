/**
 * SMS encoding and segment count, as carriers bill them (3GPP TS 23.038, GSM 03.38 default alphabet).
 *
 * GSM-7: a message of at most 160 septets is one segment; longer, each segment carries 153 (7 septets
 * go to the concatenation header). An extension character is an escape + its code (2 septets) and is
 * never split across two segments, so a segment may end one septet short.
 * UCS-2: at most 70 UTF-16 code units is one segment; longer, 67 per segment, a surrogate pair never
 * split (so an emoji at a boundary moves whole to the next segment).
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsAnalysis {
  encoding: SmsEncoding;
  /** Segments billed; 0 for an empty body (nothing to send; the API refuses empty bodies anyway). */
  segments: number;
  /** Septets for GSM-7, UTF-16 code units for UCS-2. */
  units: number;
}

// The 128 characters of the basic table, in table order. 0x1B (escape) is written as a placeholder and
// left out of the set. Only the capital Ç (0x09) is here: a lowercase ç is not in GSM-7.
const GSM_BASIC_TABLE =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

const GSM_BASIC = new Set([...GSM_BASIC_TABLE].filter((c) => c !== '\u001b'));

/** Reached through the escape code: 2 septets each. */
const GSM_EXTENSION = new Set(['\f', '^', '{', '}', '\\', '[', '~', ']', '|', '€']);

const GSM_SINGLE_SEGMENT = 160;
const GSM_PER_SEGMENT = 153;
const UCS2_SINGLE_SEGMENT = 70;
const UCS2_PER_SEGMENT = 67;

/** Septets a character costs in GSM-7, or undefined when it is not in the alphabet. */
function gsmSeptets(char: string): 1 | 2 | undefined {
  if (GSM_BASIC.has(char)) return 1;
  if (GSM_EXTENSION.has(char)) return 2;
  return undefined;
}

/** Packs indivisible pieces into segments of `perSegment` units, a piece never split across two. */
function packSegments(pieces: readonly number[], perSegment: number): number {
  let segments = 1;
  let used = 0;
  for (const size of pieces) {
    if (used + size > perSegment) {
      segments += 1;
      used = 0;
    }
    used += size;
  }
  return segments;
}

function count(pieces: readonly number[], single: number, perSegment: number): { segments: number; units: number } {
  const units = pieces.reduce((sum, n) => sum + n, 0);
  if (units === 0) return { segments: 0, units };
  if (units <= single) return { segments: 1, units };
  return { segments: packSegments(pieces, perSegment), units };
}

export function analyzeSms(body: string): SmsAnalysis {
  // Iterating a string yields code points, so a surrogate pair is one piece of 2 code units.
  const codePoints = [...body];
  const septets = codePoints.map(gsmSeptets);
  if (septets.every((n): n is 1 | 2 => n !== undefined)) {
    return { encoding: 'GSM-7', ...count(septets, GSM_SINGLE_SEGMENT, GSM_PER_SEGMENT) };
  }
  const codeUnits = codePoints.map((c) => c.length);
  return { encoding: 'UCS-2', ...count(codeUnits, UCS2_SINGLE_SEGMENT, UCS2_PER_SEGMENT) };
}
