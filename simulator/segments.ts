/** GSM 03.38 encoding detection and segment counting, as a carrier would bill it. */

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '^{}\\[~]|€\f';

const basic = new Set(GSM_BASIC);
const extension = new Set(GSM_EXTENSION);

export interface Segmentation {
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
}

export function segment(text: string): Segmentation {
  let septets = 0;
  for (const ch of text) {
    if (basic.has(ch)) septets += 1;
    else if (extension.has(ch)) septets += 2;
    else return { encoding: 'UCS-2', segments: count(text.length, 70, 67) };
  }
  return { encoding: 'GSM-7', segments: count(septets, 160, 153) };
}

function count(units: number, single: number, multi: number): number {
  if (units === 0) return 1;
  return units <= single ? 1 : Math.ceil(units / multi);
}
