import { BenchApi } from './bench-cluster';

/** Projects the REST benchmarks seed, each with one release. */
export const SEED_PROJECTS = 10;

/** Projects with a release each and finished deployments, so the benchmarks' REST reads return real rows. */
export async function seedRestRows(api: BenchApi, tasks: number): Promise<void> {
  const [environmentId] = await api.environments(1, 'REST');
  const releases: string[] = [];
  for (let index = 1; index <= SEED_PROJECTS; index += 1)
    releases.push(await api.release(`REST ${index}`, 'echo seeded'));
  const taskIds: string[] = [];
  // Different projects in turn: one project's deployments to one environment run one at a time.
  for (let index = 0; index < tasks; index += 1)
    taskIds.push(await api.deploy(releases[index % releases.length], environmentId));
  for (const taskId of taskIds) await api.waitForFinished(taskId, 120_000);
}
