import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

import { ClientGrpc, ClientGrpcProxy, ClientProxyFactory } from '@nestjs/microservices';
import { lastValueFrom, timeout } from 'rxjs';

import { orchestratorV1, SERVICE_CONTRACTS } from '@flotilla/contracts';
import {
  grpcClientOptions,
  identityToMetadata,
  serviceCertificate,
  systemIdentity,
} from '@flotilla/platform/grpc';

import { ApiClient } from './api-client';
import type { FlotillaCluster } from './flotilla-cluster';
import { eventually } from './api-client';

// Deployments on a cluster driven through REST (and a drain switch over gRPC), shared by the HA
// suite (tools/ha) and the fault suite (tools/faults).

export interface Identified {
  id: string;
}

export interface Task {
  id: string;
  state: string;
  nodeName: string;
  startedAt: string;
  completedAt: string;
  errorMessage: string;
}

export interface ClusterNodeView {
  name: string;
  state: string;
  taskCap: number;
  runningTasks: number;
}

export const FINISHED = ['Success', 'Failed', 'Canceled', 'TimedOut'];

/**
 * Bash that records a run in a side-effect file shared by every node:
 * `start <task> <node> <process group> <epoch ms>` before the work, `end <task> <node> <epoch ms>` after.
 * CLUSTER_NODE_NAME is set per node by tools/cluster (scripts never see FLOTILLA_* variables).
 */
export function recordedScript(file: string, work: string): string {
  return [
    `echo "start #{Octopus.Task.Id} $CLUSTER_NODE_NAME $$ $(date +%s%3N)" >> '${file}'`,
    work,
    `echo "end #{Octopus.Task.Id} $CLUSTER_NODE_NAME $(date +%s%3N)" >> '${file}'`,
  ].join('\n');
}

export interface RunRecord {
  taskId: string;
  node: string;
  processGroup: number;
  startedAt: number;
  /** Absent while running, or when the run was killed. */
  endedAt?: number;
}

/** The runs a side-effect file records, in the order they started. */
export function readRuns(file: string): RunRecord[] {
  if (!existsSync(file)) return [];
  const runs: RunRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [kind, taskId, node, third, fourth] = line.trim().split(' ');
    if (kind === 'start') runs.push({ taskId, node, processGroup: Number(third), startedAt: Number(fourth) });
    if (kind === 'end') {
      const run = runs.find(
        (candidate) => candidate.taskId === taskId && candidate.node === node && !candidate.endedAt,
      );
      if (!run) throw new Error(`end without start: ${line}`);
      run.endedAt = Number(third);
    }
  }
  return runs;
}

/** REST calls the HA and fault specs share, against one node or HAProxy. */
export class Deployer {
  constructor(readonly api: ApiClient) {}

  async environments(count: number, prefix: string): Promise<Identified[]> {
    const created: Identified[] = [];
    for (let index = 1; index <= count; index += 1) {
      const response = await this.api.post<Identified>('/api/environments', { name: `${prefix} ${index}` });
      if (response.status !== 201)
        throw new Error(`environment: ${response.status} ${JSON.stringify(response.body)}`);
      created.push(response.body);
    }
    return created;
  }

  /** A project with one run-script step and a release of it. */
  async release(scriptBody: string, retryable: boolean): Promise<Identified> {
    const project = await this.api.post<Identified>('/api/projects', {
      name: `HA ${randomUUID().slice(0, 8)}`,
    });
    if (project.status !== 201) throw new Error(`project: ${project.status} ${JSON.stringify(project.body)}`);
    const process = await this.api.put(`/api/projects/${project.body.id}/deploymentprocess`, {
      steps: [{ name: 'Run', actionType: 'run-script', properties: { scriptBody } }],
      retryable,
    });
    if (process.status !== 200) throw new Error(`process: ${process.status} ${JSON.stringify(process.body)}`);
    const release = await this.api.post<Identified>(`/api/projects/${project.body.id}/releases`, {
      version: '1.0.0',
      packages: [],
    });
    if (release.status !== 201) throw new Error(`release: ${release.status} ${JSON.stringify(release.body)}`);
    return release.body;
  }

  /** Deploys and returns the task id. */
  async deploy(release: Identified, environment: Identified): Promise<string> {
    const deployment = await this.api.post<{ taskId: string }>('/api/deployments', {
      releaseId: release.id,
      environmentId: environment.id,
    });
    if (deployment.status !== 201)
      throw new Error(`deployment: ${deployment.status} ${JSON.stringify(deployment.body)}`);
    return deployment.body.taskId;
  }

  async task(taskId: string): Promise<Task> {
    const response = await this.api.get<Task>(`/api/tasks/${taskId}`);
    if (response.status !== 200)
      throw new Error(`task ${taskId}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  waitForTask(
    taskId: string,
    accept: (task: Task) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<Task> {
    return eventually(
      async () => {
        const response = await this.api.get<Task>(`/api/tasks/${taskId}`);
        // 503 is the cluster's "try again shortly" (HAProxy with no gateway UP for a moment, e.g. the
        // one gateway a test left in rotation missing a health check on a loaded machine): a client
        // polling a task asks again, as the Retry-After says. Anything else is a failure.
        if (response.status === 503) return undefined;
        if (response.status !== 200)
          throw new Error(`task ${taskId}: ${response.status} ${JSON.stringify(response.body)}`);
        return accept(response.body) ? response.body : undefined;
      },
      timeoutMs,
      `task ${taskId} ${what}`,
    );
  }

  async logMessages(taskId: string): Promise<string[]> {
    const response = await this.api.get<{ lines: { message: string }[] }>(`/api/tasks/${taskId}/log`);
    if (response.status !== 200)
      throw new Error(`log of ${taskId}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.lines.map((line) => line.message);
  }

  async nodes(): Promise<ClusterNodeView[]> {
    const response = await this.api.get<{ items: ClusterNodeView[] }>('/api/nodes');
    if (response.status !== 200)
      throw new Error(`nodes: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.items;
  }
}

/** Drain on/off through HAProxy's gRPC frontend of the orchestrator, as an administrator. */
export async function setDraining(
  cluster: FlotillaCluster,
  name: string,
  isDraining: boolean,
): Promise<void> {
  const proxy = ClientProxyFactory.create(
    // The tools call as `operator` (their certificate from the run's PKI), over mutual TLS through HAProxy.
    grpcClientOptions(
      'orchestrator',
      cluster.grpcUrls['orchestrator'],
      undefined,
      serviceCertificate('operator'),
    ),
  );
  try {
    const orchestrator = (
      proxy as unknown as ClientGrpc
    ).getService<orchestratorV1.OrchestratorServiceClient>(SERVICE_CONTRACTS.orchestrator.serviceName);
    // The operator's certificate is its authority (UpdateNode's call policy): no user, so no token.
    const operator = identityToMetadata(systemIdentity('operator'));
    // A deadline, so a call stuck on a dead backend fails the spec instead of hanging it.
    await lastValueFrom(orchestrator.updateNode({ name, isDraining }, operator).pipe(timeout(10_000)));
  } finally {
    (proxy as unknown as ClientGrpcProxy).close();
  }
}
