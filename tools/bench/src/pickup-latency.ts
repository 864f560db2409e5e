import { ApiClient, eventually, startFlotillaNode, startPostgresServer } from '@flotilla/testing';

import { percentile } from './percentiles';

interface Identified {
  id: string;
}
interface TaskTimes {
  state: string;
  queuedAt: string;
  startedAt: string;
}

/**
 * Pickup latency on one node: for each of N deployments of a trivial script, the time from the
 * task being queued to it Executing, both read from the database clock (queuedAt, startedAt).
 * Deployments run one after another so each measures an idle executor picking up new work.
 * Usage: npm run bench:pickup -- [--count 100] [--redis redis://127.0.0.1:6379]
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string): string | undefined => {
    const index = args.indexOf(`--${name}`);
    return index >= 0 ? args[index + 1] : undefined;
  };
  const count = Number(option('count') ?? 100);
  const redisUrl = option('redis');

  const postgres = await startPostgresServer();
  process.env['FLOTILLA_TEST_PG_BASE_URL'] = postgres.baseUrl;
  const node = await startFlotillaNode({
    env: { FLOTILLA_POLL_INTERVAL_MS: '2000', ...(redisUrl ? { FLOTILLA_REDIS_URL: redisUrl } : {}) },
  });
  try {
    const api = new ApiClient(node.baseUrl);
    await api.login(node.adminUsername, node.adminPassword);
    const environment = await api.post<Identified>('/api/environments', { name: 'Bench' });
    const project = await api.post<Identified>('/api/projects', { name: 'Pickup Bench' });
    await api.put(`/api/projects/${project.body.id}/deploymentprocess`, {
      steps: [{ name: 'Noop', actionType: 'run-script', properties: { scriptBody: 'true' } }],
      retryable: false,
    });
    const latencies: number[] = [];
    for (let i = 0; i < count; i++) {
      const release = await api.post<Identified>(`/api/projects/${project.body.id}/releases`, {
        version: `1.0.${i}`,
        packages: [],
      });
      const deployment = await api.post<{ taskId: string }>('/api/deployments', {
        releaseId: release.body.id,
        environmentId: environment.body.id,
      });
      const task = await eventually(
        async () => {
          const response = await api.get<TaskTimes>(`/api/tasks/${deployment.body.taskId}`);
          return ['Success', 'Failed'].includes(response.body.state) ? response.body : undefined;
        },
        60_000,
        'task to finish',
      );
      latencies.push(Date.parse(task.startedAt) - Date.parse(task.queuedAt));
    }
    const figure = (p: number) => `${percentile(latencies, p)} ms`;
    console.log(
      `pickup latency, 1 node, ${count} deployments, ${redisUrl ? 'Redis wake-up' : 'polling only (2 s)'}: ` +
        `p50 ${figure(50)}, p99 ${figure(99)}, max ${Math.max(...latencies)} ms`,
    );
  } finally {
    await node.stop();
    await postgres.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
