import type { PlatformState } from './state-file.js';

export class ApiError extends Error {
  /** what to do about it, when the control plane said (a UserError's fix) */
  constructor(message: string, readonly fix?: string) {
    super(message);
  }
}

/** Calls the running control plane's API with the token from its state file. */
export async function callApi<T>(state: PlatformState, route: string, body: unknown = {}, timeoutMs = 120_000): Promise<T> {
  if (!state.api) throw new ApiError('the platform is still starting; try again in a moment');
  const response = await fetch(`http://127.0.0.1:${state.api.port}${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${state.api.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  }).catch((error: Error) => {
    throw new ApiError(`cannot reach the platform's control plane (${error.message}); is it running? Try "npx tall ps"`);
  });
  const answer = (await response.json()) as T & { error?: string; fix?: string };
  if (!response.ok) throw new ApiError(answer.error ?? `control plane answered ${response.status}`, answer.fix);
  return answer;
}
