import { randomUUID } from 'node:crypto';

import { trustingFetch } from '@flotilla/testing';

/** One REST call as a client saw it. */
export interface RecordedCall {
  method: string;
  path: string;
  expected: number;
  /** Epoch ms at send and at the end of the answer (or of the error). */
  startedAt: number;
  endedAt: number;
  status?: number;
  /** The answer's Retry-After header, if any. */
  retryAfter?: string;
  /** A network-level error or a timeout (no answer at all). */
  error?: string;
  /** The start of an unexpected answer's body. */
  body?: string;
  /**
   * A GET whose connection was closed before any answer, sent again once as a browser does
   * (see CLOSED_BEFORE_ANSWER): the first attempt's error. The call's outcome is the retry's.
   */
  retriedAfter?: string;
}

/**
 * A keep-alive connection closed with the request on it and no byte of answer. Seen in CI, with
 * HAProxy's access log: a GET HAProxy replayed twice on 503 (retry-on) just as the last gateway
 * left the pool ended `gateways/<NOSRV> 0/0/23/-1/47 503 0 - - SC-- … +2`, nothing sent, the client
 * connection closed; the requests after it got HAProxy's own 503 with Retry-After. Browsers send an
 * idempotent request again once when a reused connection closes like that; undici's fetch does
 * not, so the recorder does it for GETs (HAProxy never replays a POST: disable-l7-retry). Such calls
 * are counted in the summary and shown with HAProxy's log by the spec.
 */
const CLOSED_BEFORE_ANSWER = /other side closed|ECONNRESET|socket hang up/i;

export interface RestRecorderOptions {
  /** HAProxy's HTTP frontend. */
  baseUrl: string;
  /** A session token (every node accepts it). */
  token: string;
  /** Pause between two reads. */
  readEveryMs?: number;
  /** A write (POST /api/environments) after every this many reads. */
  writeEveryReads?: number;
  /** A call unanswered after this long counts as failed (a client gave up). */
  requestTimeoutMs?: number;
}

const READS = ['/api/tasks', '/api/projects'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A user clicking through the API while the infrastructure misbehaves: reads (tasks, projects)
 * every ~100 ms and now and then a write, through the load balancer, each call recorded with its
 * status and Retry-After, never retried.
 */
export class RestRecorder {
  readonly calls: RecordedCall[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: RestRecorderOptions) {}

  start(): void {
    if (this.running) throw new Error('The recorder is already running');
    this.running = true;
    this.loop = (async () => {
      const writeEvery = this.options.writeEveryReads ?? 10;
      for (let round = 0; this.running; round += 1) {
        await this.send('GET', READS[round % READS.length], 200);
        if (round % writeEvery === writeEvery - 1)
          await this.send('POST', '/api/environments', 201, {
            name: `Fault env ${randomUUID().slice(0, 8)}`,
          });
        await sleep(this.options.readEveryMs ?? 100);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Calls under way at some point of [from, to]. */
  during(from: number, to: number): RecordedCall[] {
    return this.calls.filter((call) => call.startedAt <= to && call.endedAt >= from);
  }

  private async send(method: string, path: string, expected: number, json?: unknown): Promise<void> {
    const call: RecordedCall = { method, path, expected, startedAt: Date.now(), endedAt: 0 };
    this.calls.push(call);
    await this.attempt(call, json);
    if (method === 'GET' && call.error !== undefined && CLOSED_BEFORE_ANSWER.test(call.error)) {
      call.retriedAfter = call.error;
      call.error = undefined;
      await this.attempt(call, json);
    }
  }

  private async attempt(call: RecordedCall, json: unknown): Promise<void> {
    const { method, path, expected } = call;
    try {
      const response = await trustingFetch(`${this.options.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          ...(json === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: json === undefined ? undefined : JSON.stringify(json),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 30_000),
      });
      call.status = response.status;
      call.retryAfter = response.headers.get('retry-after') ?? undefined;
      const text = await response.text();
      if (response.status !== expected) call.body = text.slice(0, 300);
    } catch (error) {
      const { name, message, cause } = error as {
        name?: string;
        message?: string;
        cause?: { message?: string };
      };
      call.error = [`${name}: ${message}`, cause?.message].filter(Boolean).join(' ← ');
    } finally {
      call.endedAt = Date.now();
    }
  }
}

/** "+12.345s (20 ms) GET /api/tasks → 503 Retry-After 1 (expected 200): …" relative to `origin`. */
export function describeCall(call: RecordedCall, origin: number): string {
  const at = ((call.startedAt - origin) / 1000).toFixed(3);
  const outcome = call.status === undefined ? 'no answer' : String(call.status);
  const retry = call.retryAfter === undefined ? '' : ` Retry-After ${call.retryAfter}`;
  const detail = [call.retriedAfter && `sent again after: ${call.retriedAfter}`, call.error ?? call.body]
    .filter(Boolean)
    .join('; ');
  return `+${at}s (${call.endedAt - call.startedAt} ms) ${call.method} ${call.path} → ${outcome}${retry} (expected ${call.expected})${detail ? `: ${detail}` : ''}`;
}

/**
 * What a user must never see: any answer but the expected one, except a 503 carrying Retry-After
 * while the database is out (a call that started before `outageEndedAt`); no answer at all counts.
 */
export function unacceptableCalls(
  calls: readonly RecordedCall[],
  outage: { from: number; to: number },
): RecordedCall[] {
  return calls.filter((call) => {
    if (call.status === call.expected) return false;
    const duringOutage = call.endedAt >= outage.from && call.startedAt <= outage.to;
    return !(call.status === 503 && call.retryAfter !== undefined && duringOutage);
  });
}

/** "412 calls, slowest 2304 ms; 200 ×380, 503 ×30 (503 with Retry-After ×30)" for the test output. */
export function summarise(calls: readonly RecordedCall[]): string {
  const byOutcome = new Map<string, number>();
  for (const call of calls) {
    const outcome = call.status === undefined ? 'no answer' : String(call.status);
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
  }
  const withRetryAfter = calls.filter((call) => call.status === 503 && call.retryAfter !== undefined).length;
  const slowest = Math.max(0, ...calls.map((call) => call.endedAt - call.startedAt));
  const outcomes = [...byOutcome].map(([outcome, count]) => `${outcome} ×${count}`).join(', ');
  const retried = calls.filter((call) => call.retriedAfter !== undefined).length;
  return `${calls.length} calls, slowest ${slowest} ms; ${outcomes} (503 with Retry-After ×${withRetryAfter}; GETs sent again after a connection closed with no answer ×${retried})`;
}
