import { ServerTask } from '@flotilla/api-interfaces';

import { BenchApi } from './bench-cluster';
import { progress } from './report';

export interface PickupSettings {
  /** Measured deployments. */
  count: number;
  /** Deployments run first and not measured (cold processes, first statements). */
  warmup: number;
  /** Random pause of 0..gapMs before each deployment, so arrivals do not fall into step with polls. */
  gapMs: number;
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** A project with a trivial script and an environment to deploy it to, on one node or cluster. */
export interface PickupTarget {
  api: BenchApi;
  releaseId: string;
  environmentId: string;
  /** Statuses of deployment requests the server failed and that were sent again (see pickupOnce). */
  failedRequests: number[];
}

export async function preparePickup(api: BenchApi): Promise<PickupTarget> {
  const [environmentId] = await api.environments(1, 'Pickup');
  const releaseId = await api.release('Pickup bench', 'echo picked up');
  return { api, releaseId, environmentId, failedRequests: [] };
}

/** A request the server failed (5xx, nothing queued) is sent at most this many times in all. */
const DEPLOY_ATTEMPTS = 3;

/**
 * One deployment, queued once the previous one finished so an idle executor picks it up;
 * resolves to its finished task (startedAt - queuedAt is the pickup latency, database time).
 * With `resendFailed`, a request the server failed (5xx) is recorded in target.failedRequests
 * and sent again, so the run's verdict, not its end, reports it.
 */
export async function pickupOnce(
  target: PickupTarget,
  options: { gapMs?: number; resendFailed?: boolean } = {},
): Promise<ServerTask> {
  if (options.gapMs) await sleep(Math.random() * options.gapMs);
  let taskId: string | undefined;
  for (let attempt = 1; taskId === undefined; attempt += 1) {
    const outcome = await target.api.tryDeploy(target.releaseId, target.environmentId);
    taskId = outcome.taskId;
    if (taskId !== undefined) break;
    if (!options.resendFailed || outcome.status < 500 || attempt >= DEPLOY_ATTEMPTS)
      throw new Error(`deployment: ${outcome.status}`);
    target.failedRequests.push(outcome.status);
    progress(`deployment request answered ${outcome.status}: sending it again`);
  }
  const task = await target.api.waitForFinished(taskId, 120_000);
  if (!task.startedAt) throw new Error(`task ${taskId} finished ${task.state} without starting`);
  return task;
}

/** Deployments one after another on one target; resolves to the measured (non-warm-up) tasks. */
export async function runPickupDeployments(
  api: BenchApi,
  settings: PickupSettings,
  label: string,
): Promise<ServerTask[]> {
  const target = await preparePickup(api);
  const measured: ServerTask[] = [];
  const total = settings.warmup + settings.count;
  for (let index = 0; index < total; index += 1) {
    const task = await pickupOnce(target, { gapMs: settings.gapMs });
    if (index >= settings.warmup) measured.push(task);
    if ((index + 1) % 20 === 0) progress(`${label}: ${index + 1}/${total} deployments`);
  }
  return measured;
}

/** Pickup latency of each task: startedAt - queuedAt, database time. */
export function pickupLatencies(tasks: readonly ServerTask[]): number[] {
  return tasks.map((task) => Date.parse(task.startedAt) - Date.parse(task.queuedAt));
}
