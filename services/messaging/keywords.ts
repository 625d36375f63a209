/** Carrier-mandated keywords (CTIA): matched case- and whitespace-insensitively, and only as the whole message. */
export type Keyword = 'stop' | 'start' | 'help';

const KEYWORDS = new Map<string, Keyword>([
  ...['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'].map((k) => [k, 'stop'] as const),
  ...['START', 'UNSTOP', 'YES'].map((k) => [k, 'start'] as const),
  ...['HELP', 'INFO'].map((k) => [k, 'help'] as const),
]);

/** "  Stop ", "opt out" and "OPT\tOUT" are keywords; "please stop" is a message. */
export function keywordOf(body: string): Keyword | null {
  return KEYWORDS.get(body.replace(/\s+/g, '').toUpperCase()) ?? null;
}

/**
 * A text that is, or opens with, a keyword ("HELP", "info: call us", "Opt out below") would be read
 * as one by another auto-responder: such a help text could start a reply loop, so it is refused.
 */
export function opensWithKeyword(text: string): boolean {
  const words = text.toUpperCase().match(/[A-Z]+/g) ?? [];
  if (keywordOf(text) !== null) return true;
  return [words.slice(0, 1), words.slice(0, 2)].some((lead) => lead.length > 0 && KEYWORDS.has(lead.join('')));
}

export function stopConfirmation(companyName: string): string {
  return `${companyName}: You are unsubscribed and will receive no more messages. Reply START to resubscribe.`;
}

export function startConfirmation(companyName: string): string {
  return `${companyName}: You are subscribed again. Reply STOP to unsubscribe, HELP for help.`;
}
