/**
 * The API process runs with a V8 heap budget (dev, tests and production alike). Its live heap is
 * small (~50 MB); without a budget V8 lets short-lived upload garbage grow to about four times that
 * before collecting, which put a 2-core box's API at ~390 MB RSS while staging. With the budget V8
 * collects early and an upload of any size stays near 250 MB. Production: start the API with
 * `NODE_OPTIONS=--max-old-space-size=256`.
 */
export const API_HEAP_FLAG = '--max-old-space-size=256';

export function withApiHeapBudget(nodeOptions: string | undefined): string {
  return [nodeOptions, API_HEAP_FLAG].filter((o) => o !== undefined && o !== '').join(' ');
}
