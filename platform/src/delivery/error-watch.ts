import type { RedTotals } from '../routing/router-metrics.js';

/** Below this many answers in a window, a share of errors says more about chance than about the new version. */
export const MIN_SAMPLE = 20;
/** The share of 5xx answers that rolls a deploy back when update_config.max_failure_ratio does not say (it is 0 by default). */
export const DEFAULT_ERROR_RATIO = 0.05;

export type Totals = () => Promise<Record<string, RedTotals>>;

/**
 * Watches a route's answers through the router for a window and judges them: the share of 5xx answers (the router's own
 * 502/503/504 included) above `ratio` is a reason to roll back. Resolves with that reason, or undefined.
 */
export async function watchErrors(totals: Totals, route: string | false, windowMs: number, ratio: number): Promise<string | undefined> {
  if (!route) {
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    return undefined;
  }
  const before = (await totals())[route] ?? { requests: 0, errors: 0 };
  const started = Date.now();
  let verdict: string | undefined;
  // Checked every half second, so a version that fails every request is taken back at once, not at the window's end.
  while (!verdict && Date.now() - started < windowMs) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, windowMs - (Date.now() - started))));
    const now = (await totals())[route] ?? before;
    const requests = now.requests - before.requests;
    const errors = now.errors - before.errors;
    if (requests >= MIN_SAMPLE && errors / requests > ratio) {
      verdict = `${errors} of ${requests} answers were 5xx (${((100 * errors) / requests).toFixed(1)} %, more than ${(100 * ratio).toFixed(1)} %) within ${((Date.now() - started) / 1000).toFixed(1)} s`;
    }
  }
  return verdict;
}
