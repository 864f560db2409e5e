import { createHash, randomBytes, randomUUID } from 'node:crypto';

import { buildZip, trustingFetch } from '@flotilla/testing';

/** What a request of the load stands for, so a test can ask that each kind kept happening. */
export type LoadKind = 'read' | 'write' | 'upload' | 'download';
export const LOAD_KINDS: readonly LoadKind[] = ['read', 'write', 'upload', 'download'];

/** One client request as the load saw it; `status` or `error` tells how it ended. */
export interface LoadRequest {
  kind: LoadKind;
  method: string;
  path: string;
  expected: number;
  /** Epoch ms at send and at the end of the body (or of the error). */
  startedAt: number;
  endedAt: number;
  status?: number;
  /** A network-level error, a timeout, or a body that was not what was sent/promised. */
  error?: string;
}

export interface UploadedPackage {
  packageId: string;
  version: string;
  sha256: string;
  sizeBytes: number;
}

export interface ClientLoadOptions {
  /** HAProxy's HTTP frontend. */
  baseUrl: string;
  /** A session token (every node accepts it). */
  token: string;
  /** Environments the writers deploy to. */
  environmentIds: readonly string[];
  /** The script each deployment runs; keep it short. */
  scriptBody: string;
  readers?: number;
  writers?: number;
  uploaders?: number;
  /** Pause of each loop between two iterations. */
  pauseMs?: number;
  /** A request still unanswered after this long counts as failed (the client gave up). */
  requestTimeoutMs?: number;
}

const READ_PATHS = ['/api/projects', '/api/tasks', '/api/nodes', '/api/environments', '/api/packages'];

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A steady client load through the load balancer: concurrent loops of REST reads, writes (project →
 * process → release → deployment, now and then an environment), package uploads (raw and multipart)
 * and package downloads. Every request is recorded; none is ever retried, so a request that fails
 * is a failure a user would have seen.
 */
export class ClientLoad {
  readonly requests: LoadRequest[] = [];
  /** Tasks of the deployments the writers created. */
  readonly taskIds: string[] = [];
  readonly packages: UploadedPackage[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private uploadSequence = 0;

  constructor(private readonly options: ClientLoadOptions) {}

  start(): void {
    if (this.running) throw new Error('The load is already running');
    this.running = true;
    const { readers = 3, writers = 1, uploaders = 1 } = this.options;
    const loop = (iteration: (index: number) => Promise<void>, index: number) =>
      (async () => {
        while (this.running) {
          await iteration(index);
          await sleep(this.options.pauseMs ?? 100);
        }
      })();
    this.loops = [
      ...Array.from({ length: readers }, (_, index) => loop((i) => this.readOnce(i), index)),
      ...Array.from({ length: writers }, (_, index) => loop(() => this.writeOnce(), index)),
      ...Array.from({ length: uploaders }, (_, index) => loop(() => this.uploadOnce(), index)),
    ];
  }

  /** Stops the loops after their current iteration. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  failures(): LoadRequest[] {
    return this.requests.filter(
      (request) => request.error !== undefined || request.status !== request.expected,
    );
  }

  /** Requests that were under way at some point of [from, to]. */
  during(from: number, to: number): LoadRequest[] {
    return this.requests.filter((request) => request.startedAt <= to && request.endedAt >= from);
  }

  private readCount = 0;
  /** Reads per reader loop: a counter shared by the loops falls into step with them (see below). */
  private readonly readsOfLoop = new Map<number, number>();

  private async readOnce(loopIndex: number): Promise<void> {
    this.readCount += 1;
    const ownReads = (this.readsOfLoop.get(loopIndex) ?? 0) + 1;
    this.readsOfLoop.set(loopIndex, ownReads);
    // Every third read of each loop downloads a package uploaded earlier (when there is one). Counted
    // per loop: with the shared count, loops running in step could all miss the turn for a whole
    // restart window (5 downloads against 296 reads in one CI run).
    if (this.packages.length > 0 && ownReads % 3 === 0) {
      const uploaded = this.packages[Math.floor(Math.random() * this.packages.length)];
      await this.download(uploaded);
      return;
    }
    const path = READ_PATHS[(this.readCount + loopIndex) % READ_PATHS.length];
    const latestTask = this.taskIds.at(-1);
    await this.send(
      'read',
      'GET',
      latestTask && this.readCount % 7 === 0 ? `/api/tasks/${latestTask}` : path,
      200,
    );
  }

  /** A project with a one-step script, a release and a deployment of it (a new project each time, so none queue behind another). */
  private async writeOnce(): Promise<void> {
    const suffix = randomUUID().slice(0, 8);
    if (this.taskIds.length % 5 === 0) {
      await this.send('write', 'POST', '/api/environments', 201, { json: { name: `Load env ${suffix}` } });
    }
    const project = await this.send<{ id: string }>('write', 'POST', '/api/projects', 201, {
      json: { name: `Load ${suffix}` },
    });
    if (!project) return;
    const process = await this.send('write', 'PUT', `/api/projects/${project.id}/deploymentprocess`, 200, {
      json: {
        steps: [
          { name: 'Run', actionType: 'run-script', properties: { scriptBody: this.options.scriptBody } },
        ],
        retryable: false,
      },
    });
    if (!process) return;
    const release = await this.send<{ id: string }>(
      'write',
      'POST',
      `/api/projects/${project.id}/releases`,
      201,
      {
        json: { version: '1.0.0', packages: [] },
      },
    );
    if (!release) return;
    const environments = this.options.environmentIds;
    const deployment = await this.send<{ taskId: string }>('write', 'POST', '/api/deployments', 201, {
      json: { releaseId: release.id, environmentId: environments[this.taskIds.length % environments.length] },
    });
    if (deployment) this.taskIds.push(deployment.taskId);
  }

  /** A small zip of random bytes (a few gRPC chunks), raw and multipart in turn; the answer must carry its sha-256. */
  private async uploadOnce(): Promise<void> {
    this.uploadSequence += 1;
    const version = `1.0.${this.uploadSequence}`;
    const packageId = `LoadPkg${randomUUID().slice(0, 6)}`;
    const fileName = `${packageId}.${version}.zip`;
    const content = buildZip([
      { name: 'readme.txt', content: `load package ${fileName}` },
      { name: 'payload.bin', content: randomBytes(96 * 1024 + Math.floor(Math.random() * 96 * 1024)) },
    ]);
    const expectedSha = sha256(content);
    const multipart = this.uploadSequence % 2 === 0;
    let body: BodyInit;
    let headers: Record<string, string> = {};
    let path: string;
    if (multipart) {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(content)]), fileName);
      body = form;
      path = '/api/packages';
    } else {
      body = new Uint8Array(content);
      headers = { 'content-type': 'application/octet-stream' };
      path = `/api/packages/raw?fileName=${encodeURIComponent(fileName)}`;
    }
    const uploaded = await this.send<UploadedPackage>('upload', 'POST', path, 201, {
      body,
      headers,
      check: (answer) =>
        (answer as UploadedPackage | undefined)?.sha256 === expectedSha
          ? undefined
          : `the answer's sha256 is not the sha256 of the bytes sent (${expectedSha})`,
    });
    if (uploaded) this.packages.push({ packageId, version, sha256: expectedSha, sizeBytes: content.length });
  }

  private async download(uploaded: UploadedPackage): Promise<void> {
    const path = `/api/packages/${encodeURIComponent(uploaded.packageId)}/${encodeURIComponent(uploaded.version)}/raw`;
    await this.send('download', 'GET', path, 200, {
      binary: true,
      check: (bytes) =>
        sha256(bytes as Uint8Array) === uploaded.sha256
          ? undefined
          : 'downloaded bytes differ from the upload',
    });
  }

  /**
   * One request, recorded. Resolves to the parsed answer when it had the expected status (and passed
   * `check`), otherwise undefined; never throws and never retries.
   */
  private async send<T = unknown>(
    kind: LoadKind,
    method: string,
    path: string,
    expected: number,
    init: {
      json?: unknown;
      body?: BodyInit;
      headers?: Record<string, string>;
      binary?: boolean;
      check?: (answer: unknown) => string | undefined;
    } = {},
  ): Promise<T | undefined> {
    const record: LoadRequest = { kind, method, path, expected, startedAt: Date.now(), endedAt: 0 };
    this.requests.push(record);
    try {
      const response = await trustingFetch(`${this.options.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          ...(init.json === undefined ? {} : { 'content-type': 'application/json' }),
          ...init.headers,
        },
        body: init.json === undefined ? init.body : JSON.stringify(init.json),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 30_000),
      });
      record.status = response.status;
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (response.status !== expected) {
        record.error = `unexpected answer: ${Buffer.from(bytes).toString('utf8').slice(0, 300)}`;
        return undefined;
      }
      const answer: unknown = init.binary
        ? bytes
        : bytes.length
          ? JSON.parse(Buffer.from(bytes).toString('utf8'))
          : undefined;
      const problem = init.check?.(answer);
      if (problem) {
        record.error = problem;
        return undefined;
      }
      return answer as T;
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      record.error = [error, cause]
        .filter((part) => part !== undefined)
        .map(describeError)
        .join(' ← ');
      return undefined;
    } finally {
      record.endedAt = Date.now();
    }
  }
}

/** Errors and DOMExceptions (fetch's TimeoutError is one, and not an Error) by name and message. */
function describeError(error: unknown): string {
  const { name, message, code } = (error ?? {}) as { name?: unknown; message?: unknown; code?: unknown };
  if (typeof message === 'string')
    return `${typeof name === 'string' ? name : 'Error'}${typeof code === 'string' ? ` ${code}` : ''}: ${message}`;
  return JSON.stringify(error) ?? String(error);
}

/** "+12.345s GET /api/projects → 502 (expected 200): …" relative to `origin`, for failure messages. */
export function describeRequest(request: LoadRequest, origin: number): string {
  const at = ((request.startedAt - origin) / 1000).toFixed(3);
  const took = request.endedAt - request.startedAt;
  const outcome = request.status === undefined ? 'no answer' : String(request.status);
  return `+${at}s (${took} ms) ${request.method} ${request.path} → ${outcome} (expected ${request.expected})${
    request.error ? `: ${request.error}` : ''
  }`;
}
