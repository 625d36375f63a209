/** Our message and attempt ids as carried by a status callback URL's query (`m`, `a`). */
export interface CallbackRef {
  messageId?: string;
  attemptId?: string;
}

/** Reads `m` and `a` from a callback URL; anything unparseable or absent is left out. */
export function callbackRefFromUrl(url: string | null | undefined): CallbackRef {
  if (!url) return {};
  let query: URLSearchParams;
  try {
    query = new URL(url).searchParams;
  } catch {
    return {};
  }
  const ref: CallbackRef = {};
  const messageId = query.get('m');
  const attemptId = query.get('a');
  if (messageId) ref.messageId = messageId;
  if (attemptId) ref.attemptId = attemptId;
  return ref;
}
