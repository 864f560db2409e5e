import { request as httpRequest, IncomingMessage } from 'node:http';

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

export interface CallOptions {
  token?: string;
  apiKey?: string;
  json?: unknown;
  rawBody?: string;
  contentType?: string;
}

/** One REST call with fetch; the body is parsed as JSON when the server says it is JSON. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = {};
  if (options.token) headers['Authorization'] = `Bearer ${options.token}`;
  if (options.apiKey) headers['X-Octopus-ApiKey'] = options.apiKey;
  let body: string | undefined;
  if (options.json !== undefined) body = JSON.stringify(options.json);
  if (options.rawBody !== undefined) body = options.rawBody;
  if (body !== undefined) headers['Content-Type'] = options.contentType ?? 'application/json';
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.includes('application/json') ?? false;
  return {
    status: response.status,
    headers: response.headers,
    body: isJson ? (JSON.parse(text) as unknown) : text,
  };
}

export interface StreamingUpload {
  /** Bytes the client managed to hand to its socket so far. */
  bytesWritten(): number;
  response: Promise<{ status: number; body: unknown; headers: IncomingMessage['headers'] }>;
}

/**
 * Sends `totalBytes` as a chunked body (no Content-Length, so only the gateway's own counting can
 * enforce the limit), honouring backpressure. `pauseAt` lets a test hold the client mid-body.
 */
export function streamUpload(
  port: number,
  path: string,
  headers: Record<string, string>,
  totalBytes: number,
  pauseAt?: { bytes: number; until: () => Promise<void> },
  /** The bytes to send (its first `totalBytes`); filler bytes when absent. */
  content?: Buffer,
): StreamingUpload {
  let written = 0;
  const response = new Promise<{ status: number; body: unknown; headers: IncomingMessage['headers'] }>(
    (resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path, method: 'POST', headers },
        (res: IncomingMessage) => {
          const parts: Buffer[] = [];
          res.on('data', (part: Buffer) => parts.push(part));
          res.on('end', () => {
            const text = Buffer.concat(parts).toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              body: text ? (JSON.parse(text) as unknown) : undefined,
              headers: res.headers,
            });
          });
        },
      );
      // The gateway may answer and close before the whole body was sent; that is expected here.
      req.on('error', (error) => (written < totalBytes ? undefined : reject(error)));
      const piece = Buffer.alloc(256 * 1024, 7);
      let paused = false;
      const pump = (): void => {
        while (written < totalBytes && !req.destroyed) {
          if (pauseAt && !paused && written >= pauseAt.bytes) {
            paused = true;
            void pauseAt.until().then(pump);
            return;
          }
          const size = Math.min(piece.length, totalBytes - written);
          const data = content ? content.subarray(written, written + size) : piece.subarray(0, size);
          written += size;
          if (!req.write(data)) return void req.once('drain', pump);
        }
        if (!req.destroyed) req.end();
      };
      pump();
    },
  );
  return { bytesWritten: () => written, response };
}

/** Polls until the condition holds, failing after the timeout. */
export async function eventually(
  condition: () => boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
