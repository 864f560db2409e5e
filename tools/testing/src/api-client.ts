import { trustingFetch } from './public-tls';

/**
 * A small REST client for end-to-end tests: JSON in and out, status kept for assertions. Over
 * HTTPS it trusts the self-signed certificate of a cluster this process started (public-tls.ts).
 */
export interface ApiResponse<T> {
  status: number;
  body: T;
}

export class ApiClient {
  private token: string | undefined;

  constructor(readonly baseUrl: string) {}

  /**
   * Signs in. A 503 (try again shortly) is asked again for up to 30 s, as a client following
   * Retry-After does: a node answers its ping before every service behind it is up (its auth
   * service opening its first connections to a slow database on a loaded machine, say).
   */
  async login(username: string, password: string): Promise<ApiResponse<{ token: string }>> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const response = await this.request<{ token: string }>('POST', '/api/users/login', {
        username,
        password,
      });
      if (response.status === 200 || response.status === 201) this.token = response.body.token;
      if (response.status !== 503 || Date.now() > deadline) return response;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  get<T>(path: string): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, body);
  }

  put<T>(path: string, body: unknown): Promise<ApiResponse<T>> {
    return this.request<T>('PUT', path, body);
  }

  async upload<T>(fileName: string, content: Buffer): Promise<ApiResponse<T>> {
    const response = await trustingFetch(
      `${this.baseUrl}/api/packages/raw?fileName=${encodeURIComponent(fileName)}`,
      {
        method: 'POST',
        headers: { ...this.authHeader(), 'content-type': 'application/octet-stream' },
        body: new Uint8Array(content),
      },
    );
    return { status: response.status, body: (await response.json()) as T };
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const response = await trustingFetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...this.authHeader(),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  private authHeader(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }
}

/** Polls until the check returns a value or the time runs out. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
