import { BenchApi } from './bench-cluster';
import { progress } from './report';
import { throughputOf, ThroughputFigures } from './throughput-stats';

/** Deployments of one project to one environment run one at a time; this many projects spread them. */
export const THROUGHPUT_PROJECTS = 10;
export const THROUGHPUT_SCRIPT_SECONDS = 1;

export interface ThroughputSettings {
  count: number;
  /** The task cap every node gets back once the whole queue is in place. */
  cap: number;
  /** Concurrent clients queueing the deployments. */
  posters: number;
}

export interface ThroughputRun {
  figures: ThroughputFigures;
  /** Client clock: caps restored to every task seen finished (to within the 0.5 s status poll). */
  wallMs: number;
  /** Queueing time of all deployments, client clock. */
  queueingMs: number;
  /** Statuses of deployment requests the server failed and that were sent again (empty: none). */
  failedRequests: number[];
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Every (release, environment) pair at most once, so no deployment waits for another of the same pair. */
function deploymentPairs(releases: string[], environments: string[], count: number) {
  return environments
    .flatMap((environmentId) => releases.map((releaseId) => ({ releaseId, environmentId })))
    .slice(0, count);
}

/** A deployment request the server failed (5xx) is sent again, at most this many times in all. */
const DEPLOY_ATTEMPTS = 3;

/**
 * Queues every pair through `posters` concurrent clients. A request the server failed (5xx: it
 * queued nothing) is counted and sent again, so one failure costs a figure its honesty, not the
 * whole run; any other refusal, or a third failure of one request, ends the run.
 */
async function queueAll(
  api: BenchApi,
  pairs: { releaseId: string; environmentId: string }[],
  posters: number,
) {
  const taskIds: string[] = [];
  const failures: number[] = [];
  let next = 0;
  const poster = async (): Promise<void> => {
    while (next < pairs.length) {
      const pair = pairs[next++];
      for (let attempt = 1; ; attempt += 1) {
        const outcome = await api.tryDeploy(pair.releaseId, pair.environmentId);
        if (outcome.taskId !== undefined) {
          taskIds.push(outcome.taskId);
          break;
        }
        failures.push(outcome.status);
        if (outcome.status < 500 || attempt >= DEPLOY_ATTEMPTS)
          throw new Error(`deployment: ${outcome.status} (attempt ${attempt})`);
        progress(`deployment request answered ${outcome.status}: sending it again`);
      }
    }
  };
  await Promise.all(Array.from({ length: posters }, () => poster()));
  return { taskIds, failures };
}

/** Waits on two cheap counts, then confirms on the full list (a count can race a state change). */
async function waitForAll(api: BenchApi, taskIds: readonly string[], timeoutMs: number) {
  const wanted = new Set(taskIds);
  const deadline = Date.now() + timeoutMs;
  let lastReport = Date.now();
  for (;;) {
    // Queued first: a task leaving Queued between the two calls is then counted as Executing.
    const queued = await api.countInState('Queued');
    const executing = await api.countInState('Executing');
    if (queued + executing === 0) {
      const tasks = (await api.allTasks()).filter((task) => wanted.has(task.id));
      if (tasks.length === wanted.size && tasks.every((task) => task.completedAt)) return tasks;
    }
    if (Date.now() > deadline) throw new Error(`timed out: ${queued} queued and ${executing} executing`);
    if (Date.now() - lastReport > 10_000) {
      progress(`${queued} queued, ${executing} executing`);
      lastReport = Date.now();
    }
    await sleep(500);
  }
}

/**
 * Throughput of the nodes named: deployments of a script that sleeps 1 s over 10 projects, all
 * queued while every node's task cap is 0, then the caps restored at once, so the span measures
 * the nodes executing a full queue rather than how fast clients create deployments.
 * tasks/s = tasks / (last completedAt - first startedAt), database clock.
 */
export async function measureThroughput(
  api: BenchApi,
  nodeNames: readonly string[],
  settings: ThroughputSettings,
  label: string,
): Promise<ThroughputRun> {
  const projects = Math.min(THROUGHPUT_PROJECTS, settings.count);
  const environments = await api.environments(Math.ceil(settings.count / projects), 'Throughput');
  const releases: string[] = [];
  for (let index = 1; index <= projects; index += 1)
    releases.push(await api.release(`Throughput ${index}`, `sleep ${THROUGHPUT_SCRIPT_SECONDS}`));
  const pairs = deploymentPairs(releases, environments, settings.count);
  progress(
    `${label}: queueing ${pairs.length} deployments (${projects} projects x ${environments.length} environments)`,
  );

  // A task cap of 0 holds claims (draining would also take the gateways out of HAProxy).
  await Promise.all(nodeNames.map((name) => api.setTaskCap(name, 0)));
  const queueingStartedAt = Date.now();
  const { taskIds, failures } = await queueAll(api, pairs, settings.posters);
  const queueingMs = Date.now() - queueingStartedAt;
  const startedAt = Date.now();
  await Promise.all(nodeNames.map((name) => api.setTaskCap(name, settings.cap)));
  const idealMs = idealSpanMs(settings, nodeNames.length);
  const tasks = await waitForAll(api, taskIds, idealMs * 5 + 120_000);
  return {
    figures: throughputOf(tasks),
    wallMs: Date.now() - startedAt,
    queueingMs,
    failedRequests: failures,
  };
}

/** The sleeps alone at full cap on every node. */
export function idealSpanMs(settings: { count: number; cap: number }, nodes: number): number {
  return Math.ceil(settings.count / (nodes * settings.cap)) * THROUGHPUT_SCRIPT_SECONDS * 1000;
}
