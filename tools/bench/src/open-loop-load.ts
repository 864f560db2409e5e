import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';

import { get, LoadResult } from './rest-load';

export interface OpenLoopSettings {
  /** GET paths the requests take in turn. */
  paths: readonly string[];
  token: string;
  /** Offered load: requests started per second, whatever the target answers. */
  ratePerSecond: number;
  durationMs: number;
  requestTimeoutMs: number;
  /** Seed of the arrival times: the same seed gives every target the same schedule. */
  seed: number;
}

/** A small seeded PRNG (mulberry32): reproducible arrivals and queries, no dependency. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Start times (ms from the start) of a Poisson process at `ratePerSecond`: independent users
 * arrive at random, sometimes in bursts, as they do in front of a real server.
 */
export function poissonArrivals(ratePerSecond: number, durationMs: number, seed: number): number[] {
  if (!(ratePerSecond > 0)) throw new Error(`the rate must be above 0, not ${ratePerSecond}`);
  const random = seededRandom(seed);
  const meanGapMs = 1000 / ratePerSecond;
  const arrivals: number[] = [];
  // 1 - random() is in (0, 1]: the logarithm is finite.
  for (
    let at = -Math.log(1 - random()) * meanGapMs;
    at < durationMs;
    at += -Math.log(1 - random()) * meanGapMs
  )
    arrivals.push(at);
  return arrivals;
}

/**
 * Open-loop load: requests start on a fixed schedule, not when earlier ones end, so the offered
 * load is the same for every target and a slow target is not sent less. Latency counts from the
 * scheduled start, so time a request waits for a free connection or a late timer counts too
 * (no coordinated omission). Unlike a closed loop, whose latency is clients / throughput at
 * saturation, this measures the latency a request meets at a given load.
 */
export async function runOpenLoop(
  baseUrl: string,
  agent: Agent,
  settings: OpenLoopSettings,
): Promise<LoadResult> {
  const urls = settings.paths.map((path) => new URL(path, baseUrl));
  const result: LoadResult = { ok: 0, errors: new Map(), latenciesMs: [], elapsedMs: 0 };
  const failed = (kind: string): void => void result.errors.set(kind, (result.errors.get(kind) ?? 0) + 1);
  const arrivals = poissonArrivals(settings.ratePerSecond, settings.durationMs, settings.seed);
  const inFlight: Promise<void>[] = [];
  const startedAt = performance.now();

  const send = async (index: number, scheduledAt: number): Promise<void> => {
    try {
      const status = await get(agent, urls[index % urls.length], settings.token, settings.requestTimeoutMs);
      if (status === 200) {
        result.ok += 1;
        result.latenciesMs.push(performance.now() - scheduledAt);
      } else failed(`HTTP ${status}`);
    } catch (error) {
      failed((error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : 'error'));
    }
  };

  for (let index = 0; index < arrivals.length; ) {
    const now = performance.now() - startedAt;
    // Everything due by now starts now, each timed from its own scheduled start.
    for (; index < arrivals.length && arrivals[index] <= now; index += 1)
      inFlight.push(send(index, startedAt + arrivals[index]));
    if (index < arrivals.length) {
      const waitMs = arrivals[index] - (performance.now() - startedAt);
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
  await Promise.all(inFlight);
  result.elapsedMs = performance.now() - startedAt;
  return result;
}
