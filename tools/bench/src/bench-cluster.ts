import { FINISHED_TASK_STATES, PagedList, ServerTask, TaskState } from '@flotilla/api-interfaces';
import {
  ApiClient,
  eventually,
  FlotillaCluster,
  FlotillaClusterOptions,
  startFlotillaCluster,
  startPostgresServer,
} from '@flotilla/testing';

import { Teardown } from './bench-runner';
import { progress, seconds } from './report';

/** The orchestrator's largest page of tasks. */
const TASK_PAGE = 500;

interface Identified {
  id: string;
}

/**
 * startFlotillaCluster makes each cluster's database on the test PostgreSQL server, which jest's
 * global setup provides for specs; a benchmark provides it itself (127.0.0.1:5432 or embedded).
 */
async function providePostgres(teardown: Teardown): Promise<void> {
  if (process.env['FLOTILLA_TEST_PG_BASE_URL']) return;
  const server = await teardown.use(
    'PostgreSQL (if this benchmark started one)',
    startPostgresServer(),
    (started) => started.stop(),
  );
  process.env['FLOTILLA_TEST_PG_BASE_URL'] = server.baseUrl;
}

/** A real cluster (tools/testing's harness: N nodes of six services behind HAProxy), stopped by the teardown. */
export async function startBenchCluster(
  teardown: Teardown,
  label: string,
  options: FlotillaClusterOptions,
): Promise<FlotillaCluster> {
  await providePostgres(teardown);
  progress(`starting ${label}`);
  const startedAt = Date.now();
  const cluster = await teardown.use(label, startFlotillaCluster(options), (started) => started.stop());
  progress(`${label} ready in ${seconds(Date.now() - startedAt)}`);
  return cluster;
}

/** The bootstrap administrator of a cluster or of a single node. */
export type AdminCredentials = Pick<FlotillaCluster, 'adminUsername' | 'adminPassword'>;

/** The REST calls the benchmarks make, failing loudly on any unexpected status. */
export class BenchApi {
  private constructor(readonly client: ApiClient) {}

  static async signIn(baseUrl: string, cluster: AdminCredentials): Promise<BenchApi> {
    const client = new ApiClient(baseUrl);
    const response = await client.login(cluster.adminUsername, cluster.adminPassword);
    if (response.status !== 200) throw new Error(`sign-in at ${baseUrl}: ${response.status}`);
    return new BenchApi(client);
  }

  /** The session token, for load generators that make their own requests. */
  async token(cluster: AdminCredentials): Promise<string> {
    const response = await this.client.post<{ token: string }>('/api/users/login', {
      username: cluster.adminUsername,
      password: cluster.adminPassword,
    });
    if (response.status !== 200) throw new Error(`sign-in: ${response.status}`);
    return response.body.token;
  }

  async environments(count: number, prefix: string): Promise<string[]> {
    const ids: string[] = [];
    for (let index = 1; index <= count; index += 1)
      ids.push(await this.created('/api/environments', { name: `${prefix} ${index}` }));
    return ids;
  }

  /** A project whose process is one run-script step, and a release of it; resolves to the release id. */
  async release(projectName: string, scriptBody: string): Promise<string> {
    const projectId = await this.created('/api/projects', { name: projectName });
    const deploymentProcess = await this.client.put(`/api/projects/${projectId}/deploymentprocess`, {
      steps: [{ name: 'Run', actionType: 'run-script', properties: { scriptBody } }],
      retryable: false,
    });
    if (deploymentProcess.status !== 200) throw new Error(`deployment process: ${deploymentProcess.status}`);
    return this.created(`/api/projects/${projectId}/releases`, { version: '1.0.0', packages: [] });
  }

  /** Queues a deployment; resolves to its task id. */
  async deploy(releaseId: string, environmentId: string): Promise<string> {
    const outcome = await this.tryDeploy(releaseId, environmentId);
    if (outcome.taskId === undefined) throw new Error(`deployment: ${outcome.status}`);
    return outcome.taskId;
  }

  /** Queues a deployment; the task id, or the status the gateway answered instead of 201. */
  async tryDeploy(releaseId: string, environmentId: string): Promise<{ status: number; taskId?: string }> {
    const response = await this.client.post<{ taskId: string }>('/api/deployments', {
      releaseId,
      environmentId,
    });
    return response.status === 201
      ? { status: response.status, taskId: response.body.taskId }
      : { status: response.status };
  }

  async task(taskId: string): Promise<ServerTask> {
    const response = await this.client.get<ServerTask>(`/api/tasks/${taskId}`);
    if (response.status !== 200) throw new Error(`task ${taskId}: ${response.status}`);
    return response.body;
  }

  waitForFinished(taskId: string, timeoutMs: number): Promise<ServerTask> {
    return eventually(
      async () => {
        const task = await this.task(taskId);
        return FINISHED_TASK_STATES.includes(task.state) ? task : undefined;
      },
      timeoutMs,
      `task ${taskId} to finish`,
    );
  }

  /** Every task in the cluster, page by page. */
  async allTasks(): Promise<ServerTask[]> {
    const tasks: ServerTask[] = [];
    for (;;) {
      const page = await this.tasksPage(`skip=${tasks.length}&take=${TASK_PAGE}`);
      tasks.push(...page.items);
      if (page.items.length === 0 || tasks.length >= page.total) return tasks;
    }
  }

  /** A node's task cap (PUT /api/nodes/:name), as an administrator; 0 holds its claims. */
  async setTaskCap(nodeName: string, taskCap: number): Promise<void> {
    const response = await this.client.put(`/api/nodes/${nodeName}`, { taskCap });
    if (response.status !== 200) throw new Error(`task cap of ${nodeName}: ${response.status}`);
  }

  async countInState(state: TaskState): Promise<number> {
    return (await this.tasksPage(`state=${state}&take=1`)).total;
  }

  private async tasksPage(query: string): Promise<PagedList<ServerTask>> {
    const response = await this.client.get<PagedList<ServerTask>>(`/api/tasks?${query}`);
    if (response.status !== 200) throw new Error(`tasks: ${response.status}`);
    return response.body;
  }

  private async created(path: string, body: unknown): Promise<string> {
    const response = await this.client.post<Identified>(path, body);
    if (response.status !== 201) throw new Error(`POST ${path}: ${response.status}`);
    return response.body.id;
  }
}

/** Tasks per node name, for "which nodes ran them". */
export function countByNode(tasks: readonly ServerTask[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const task of tasks) {
    const node = task.nodeName || '(none)';
    counts.set(node, (counts.get(node) ?? 0) + 1);
  }
  return new Map([...counts].sort(([a], [b]) => a.localeCompare(b)));
}

export function formatNodeCounts(counts: ReadonlyMap<string, number>): string {
  return [...counts].map(([node, count]) => `${node}: ${count}`).join(', ');
}
