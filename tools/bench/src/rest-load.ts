import { Agent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';

import { publicTlsCa } from '@flotilla/testing';

export interface LoadSettings {
  /** GET paths the clients take in turn. */
  paths: readonly string[];
  token: string;
  clients: number;
  durationMs: number;
  requestTimeoutMs: number;
}

export interface LoadResult {
  /** Requests answered 200. */
  ok: number;
  /** Non-200 answers and failed requests, by kind ("HTTP 502", "ECONNRESET"...). */
  errors: Map<string, number>;
  /** Latency of every 200 answer, ms. */
  latenciesMs: number[];
  elapsedMs: number;
  /** Connections the pool opened during the run, when counted (countOpenedConnections). */
  connectionsOpened?: number;
}

export function errorCount(result: LoadResult): number {
  return [...result.errors.values()].reduce((sum, count) => sum + count, 0);
}

/**
 * A keep-alive connection pool for one target: one socket per client, reused by the warm-up and
 * the measured run so neither pays for connecting. node:http rather than fetch: it costs the load
 * generator less CPU, which on a 2-core machine the servers under test would otherwise lose.
 */
export function keepAliveAgent(clients: number, baseUrl: string): Agent {
  const pool = { keepAlive: true, maxSockets: clients, maxFreeSockets: clients };
  // HAProxy's frontend is HTTPS: trust the cluster's self-signed certificate, for this pool alone.
  if (baseUrl.startsWith('https:')) return new HttpsAgent({ ...pool, ca: publicTlsCa(baseUrl) });
  return new Agent(pool);
}

/**
 * Counts the connections an agent opens from now on (TCP, and a TLS handshake on HTTPS): a pool
 * whose idle sockets the server closed pays a new handshake in the next burst, which is latency
 * the load measures but no request's own cost.
 */
export function countOpenedConnections(agent: Agent): () => number {
  let opened = 0;
  type CreateConnection = (...args: unknown[]) => unknown;
  const pool = agent as unknown as { createConnection: CreateConnection };
  const create = pool.createConnection.bind(pool);
  pool.createConnection = (...args: unknown[]) => {
    opened += 1;
    return create(...args);
  };
  return () => opened;
}

/** One GET, resolving to its status once the whole body has arrived. */
export function get(agent: Agent, url: URL, token: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const outgoing = request(
      url,
      { agent, method: 'GET', headers: { authorization: `Bearer ${token}`, accept: 'application/json' } },
      (response) => {
        response.on('data', () => undefined);
        response.once('end', () => resolve(response.statusCode ?? 0));
        response.once('error', reject);
      },
    );
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error('ETIMEDOUT')));
    outgoing.once('error', reject);
    outgoing.end();
  });
}

/**
 * Closed-loop load: each client sends its next request as soon as the previous one is answered,
 * until the time is up, so the offered load adapts to what the target sustains.
 */
export async function runClosedLoop(
  baseUrl: string,
  agent: Agent,
  settings: LoadSettings,
): Promise<LoadResult> {
  const urls = settings.paths.map((path) => new URL(path, baseUrl));
  const result: LoadResult = { ok: 0, errors: new Map(), latenciesMs: [], elapsedMs: 0 };
  const failed = (kind: string): void => void result.errors.set(kind, (result.errors.get(kind) ?? 0) + 1);
  const startedAt = performance.now();
  const deadline = startedAt + settings.durationMs;

  const client = async (offset: number): Promise<void> => {
    for (let turn = offset; performance.now() < deadline; turn += 1) {
      const sentAt = performance.now();
      try {
        const status = await get(agent, urls[turn % urls.length], settings.token, settings.requestTimeoutMs);
        if (status === 200) {
          result.ok += 1;
          result.latenciesMs.push(performance.now() - sentAt);
        } else failed(`HTTP ${status}`);
      } catch (error) {
        failed((error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : 'error'));
        // A refused connection fails at once; do not spin on it.
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  };
  // Clients start on different paths so the mix is even at every moment.
  await Promise.all(Array.from({ length: settings.clients }, (_, index) => client(index)));
  result.elapsedMs = performance.now() - startedAt;
  return result;
}

/** Several runs against one target as one sample (the rounds of a benchmark). */
export function mergeResults(results: readonly LoadResult[]): LoadResult {
  const merged: LoadResult = { ok: 0, errors: new Map(), latenciesMs: [], elapsedMs: 0 };
  for (const result of results) {
    merged.ok += result.ok;
    merged.elapsedMs += result.elapsedMs;
    merged.latenciesMs.push(...result.latenciesMs);
    for (const [kind, count] of result.errors)
      merged.errors.set(kind, (merged.errors.get(kind) ?? 0) + count);
  }
  return merged;
}
