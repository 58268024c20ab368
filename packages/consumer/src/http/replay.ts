/** What fetch accepts as its first argument. */
export type FetchInput = string | URL | Request;

/**
 * Whether a request can be sent a second time as it is. A 401 retry resends the body, which works
 * for bodies held in memory (strings, buffers, Blob, FormData, URLSearchParams) but not for a
 * stream or an async iterable: the first attempt consumed it.
 */
export function isReplayable(init: RequestInit | undefined): boolean {
  const body: unknown = init?.body;
  return (
    body === undefined ||
    body === null ||
    typeof body === 'string' ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof Blob ||
    body instanceof FormData ||
    body instanceof URLSearchParams
  );
}

/**
 * What to send on each attempt. A Request with a body is cloned before the first attempt (Request
 * bodies are streams), so a retry has an unread copy.
 */
export function attempts(input: FetchInput, init: RequestInit | undefined): () => FetchInput {
  if (!(input instanceof Request) || input.body === null || init?.body !== undefined) return () => input;
  const spare = input.clone();
  let used = false;
  return () => {
    if (used) return spare;
    used = true;
    return input;
  };
}
