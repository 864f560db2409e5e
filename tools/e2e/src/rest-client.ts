import { trustingFetch } from '@flotilla/testing';

/** A REST answer: its status and its body (parsed JSON; the raw text when it is not JSON). */
export interface Reply<T> {
  status: number;
  body: T;
}

/**
 * One REST call straight to `baseUrl` (a node's gateway or HAProxy), as `credential`: a session
 * token (Bearer) or an API key (`API-…`, sent as X-Octopus-ApiKey); none for anonymous calls.
 */
export async function call<T>(
  baseUrl: string,
  method: string,
  path: string,
  credential?: string,
  body?: unknown,
): Promise<Reply<T>> {
  const headers: Record<string, string> = {};
  if (credential?.startsWith('API-')) headers['x-octopus-apikey'] = credential;
  else if (credential) headers['authorization'] = `Bearer ${credential}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await trustingFetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed as T };
}

/** How long signIn keeps answering a 503 by trying again: a node just started may still be joining. */
const SIGN_IN_UNAVAILABLE_FOR_MS = 15_000;

/**
 * Signs in through POST /api/users/login; the session token, or an error naming the status and
 * the answer. A 503 (the service says it is unavailable for now; once right after a cluster
 * reported itself started, in CI) is tried again every half second for up to 15 s, as a client
 * honouring it would; any other refusal fails at once.
 */
export async function signIn(baseUrl: string, username: string, password: string): Promise<string> {
  const giveUpAt = Date.now() + SIGN_IN_UNAVAILABLE_FOR_MS;
  for (;;) {
    const reply = await call<{ token: string }>(baseUrl, 'POST', '/api/users/login', undefined, {
      username,
      password,
    });
    if (reply.status === 200) return reply.body.token;
    if (reply.status !== 503 || Date.now() > giveUpAt)
      throw new Error(`sign-in of ${username} on ${baseUrl}: ${reply.status} ${JSON.stringify(reply.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
