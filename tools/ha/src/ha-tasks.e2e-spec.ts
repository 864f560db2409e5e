import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  ApiClient,
  Deployer,
  describeOnEachDialect,
  eventually,
  FINISHED,
  FlotillaCluster,
  Identified,
  mostAtOnce,
  processGroupAlive,
  readRuns,
  recordedScript,
  setDraining,
  startFlotillaCluster,
  Task,
} from '@flotilla/testing';

import { overlappingRuns, signalProcessGroup } from './ha-tasks-harness';
import { stopKeepingOutput } from './ha-cluster-teardown';

const HEARTBEAT_TIMEOUT_MS = 4000;
const TASK_CAP = 4;
const stage = (what: string): void => void process.stdout.write(`[ha] ${new Date().toISOString()} ${what}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Server-task HA against real processes: three nodes of six services behind real HAProxy, one
 * database, one Redis, one shared folder, a licence for unlimited nodes. Specs run in order on one
 * cluster (starting one is the slow part): node-1 is killed in the second, node-2 paused in the
 * fourth, node-3's executor alone frozen in the last.
 *
 * On each database the product runs on: the exactly-once run on every one (without a SQL Server
 * that run says it was skipped and why); the fault scenarios on PostgreSQL only for now — each
 * would need its own minutes-long run on a second cluster. On SQL Server they are not declared at
 * all, so the run shows no skipped test that never could have run.
 */
describeOnEachDialect('server tasks on a three-node cluster', ({ dialect }) => {
  const faultScenario = (name: string, test: jest.ProvidesCallback, timeoutMs?: number): void => {
    if (dialect === 'postgres') it(name, test, timeoutMs);
  };
  let cluster: FlotillaCluster;
  let sideDir: string;
  let viaHaproxy: Deployer;
  let direct: Deployer[];
  let environments: Identified[];

  beforeAll(async () => {
    sideDir = await mkdtemp(join(tmpdir(), 'flotilla-ha-'));
    // Scripts run as the unprivileged script user now, and record their runs in this folder.
    await chmod(sideDir, 0o777);
    cluster = await startFlotillaCluster({
      dialect,
      nodes: 3,
      licence: { nodeLimit: 'Unlimited' },
      env: {
        FLOTILLA_HEARTBEAT_INTERVAL_MS: '1000',
        FLOTILLA_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS),
        FLOTILLA_TASK_CAP: String(TASK_CAP),
      },
    });
    const signedIn = async (baseUrl: string): Promise<Deployer> => {
      const api = new ApiClient(baseUrl);
      expect((await api.login(cluster.adminUsername, cluster.adminPassword)).status).toBe(200);
      return new Deployer(api);
    };
    viaHaproxy = await signedIn(cluster.baseUrl);
    direct = await Promise.all(cluster.nodes.map((node) => signedIn(node.baseUrl)));
    environments = await viaHaproxy.environments(10, 'HA env');
    // Every node takes tasks: the test licence is trusted and Unlimited.
    const nodes = await viaHaproxy.nodes();
    expect(nodes.map((node) => node.name).sort()).toEqual(['node-1', 'node-2', 'node-3']);
  }, 300_000);

  afterAll(async () => {
    await stopKeepingOutput(cluster);
    if (sideDir) await rm(sideDir, { recursive: true, force: true });
  }, 60_000);

  it('runs 60 deployments through HAProxy exactly once each, on every node, within each cap', async () => {
    const file = join(sideDir, 'spread.txt');
    const releases: Identified[] = [];
    for (let index = 0; index < 6; index += 1)
      releases.push(await viaHaproxy.release(recordedScript(file, 'sleep 1'), false));
    const taskIds: string[] = [];
    for (const release of releases)
      for (const environment of environments) taskIds.push(await viaHaproxy.deploy(release, environment));

    let sampling = true;
    const overCap: string[] = [];
    let samples = 0;
    const sampler = (async () => {
      while (sampling) {
        for (const node of await viaHaproxy.nodes()) {
          if (node.runningTasks > node.taskCap)
            overCap.push(`${node.name} ${node.runningTasks}/${node.taskCap}`);
        }
        samples += 1;
        await sleep(250);
      }
    })();
    const tasks: Task[] = [];
    try {
      for (const taskId of taskIds)
        tasks.push(
          await viaHaproxy.waitForTask(taskId, (task) => FINISHED.includes(task.state), 180_000, 'to finish'),
        );
    } finally {
      sampling = false;
      await sampler;
    }

    expect(tasks.filter((task) => task.state !== 'Success')).toEqual([]);
    const runs = readRuns(file);
    expect(runs.map((run) => run.taskId).sort()).toEqual([...taskIds].sort());
    expect(runs.filter((run) => run.endedAt === undefined)).toEqual([]);
    const ranOn = new Map(runs.map((run) => [run.taskId, run.node]));
    expect(tasks.filter((task) => ranOn.get(task.id) !== task.nodeName)).toEqual([]);
    expect(new Set(tasks.map((task) => task.nodeName))).toEqual(new Set(['node-1', 'node-2', 'node-3']));

    expect(samples).toBeGreaterThan(2);
    expect(overCap).toEqual([]);
    for (const name of ['node-1', 'node-2', 'node-3']) {
      const onNode = tasks.filter((task) => task.nodeName === name);
      const serverSide = mostAtOnce(
        onNode.map((task) => ({ from: Date.parse(task.startedAt), to: Date.parse(task.completedAt) })),
      );
      const scripts = mostAtOnce(
        runs.filter((run) => run.node === name).map((run) => ({ from: run.startedAt, to: run.endedAt ?? 0 })),
      );
      process.stdout.write(`[ha] ${name}: at most ${serverSide} tasks / ${scripts} scripts at once\n`);
      expect(serverSide).toBeLessThanOrEqual(TASK_CAP);
      expect(scripts).toBeLessThanOrEqual(TASK_CAP);
    }
  }, 240_000);

  faultScenario(
    'recovers the tasks of a node killed with SIGKILL: fails or re-runs them elsewhere, never twice at once',
    async () => {
      const [victim] = cluster.nodes;
      const file = join(sideDir, 'killed.txt');
      const work = 'echo "before the kill on $CLUSTER_NODE_NAME"\nsleep 8';
      const retryable = await viaHaproxy.release(recordedScript(file, work), true);
      const oneShot = await viaHaproxy.release(recordedScript(file, work), false);
      // Only the victim takes these four (its cap), so it certainly owns both kinds when it dies.
      await setDraining(cluster, 'node-2', true);
      await setDraining(cluster, 'node-3', true);
      const retried = [
        await viaHaproxy.deploy(retryable, environments[0]),
        await viaHaproxy.deploy(retryable, environments[1]),
      ];
      const failed = [
        await viaHaproxy.deploy(oneShot, environments[2]),
        await viaHaproxy.deploy(oneShot, environments[3]),
      ];
      const api = direct[1];
      for (const taskId of [...retried, ...failed]) {
        await api.waitForTask(taskId, (task) => task.state === 'Executing', 30_000, 'to run');
        expect((await api.task(taskId)).nodeName).toBe(victim.name);
        await eventually(
          async () =>
            (await api.logMessages(taskId)).includes('before the kill on node-1') ? true : undefined,
          15_000,
          `the log of ${taskId} to show the script started`,
        );
      }
      await setDraining(cluster, 'node-2', false);
      await setDraining(cluster, 'node-3', false);

      // A machine dying takes its scripts with it: kill the services and the scripts' process groups.
      victim.kill('SIGKILL');
      for (const run of readRuns(file)) signalProcessGroup(run.processGroup, 'SIGKILL');
      const killedAt = Date.now();

      for (const taskId of failed) {
        const task = await api.waitForTask(
          taskId,
          (t) => FINISHED.includes(t.state),
          HEARTBEAT_TIMEOUT_MS + 8000,
          'to fail',
        );
        expect(task.state).toBe('Failed');
        expect(task.errorMessage).toMatch(/node-1 stopped responding/);
        process.stdout.write(`[ha] one-shot task failed ${Date.now() - killedAt} ms after the kill\n`);
      }
      for (const taskId of retried) {
        const task = await api.waitForTask(
          taskId,
          (t) => FINISHED.includes(t.state),
          40_000,
          'to finish elsewhere',
        );
        expect({ state: task.state, onVictim: task.nodeName === victim.name }).toEqual({
          state: 'Success',
          onVictim: false,
        });
      }

      const runs = readRuns(file);
      for (const taskId of [...retried, ...failed]) {
        const ofTask = runs.filter((run) => run.taskId === taskId);
        expect(overlappingRuns(ofTask, killedAt)).toEqual([]);
        expect(ofTask.filter((run) => run.node === victim.name && run.endedAt !== undefined)).toEqual([]);
        // Lines written before the kill are still served, from the shared folder.
        expect(await api.logMessages(taskId)).toContain('before the kill on node-1');
      }
      for (const taskId of retried) {
        const completed = runs.filter((run) => run.taskId === taskId && run.endedAt !== undefined);
        expect(completed).toHaveLength(1);
        expect(completed[0].startedAt).toBeGreaterThan(killedAt - 1000);
      }
      expect(runs.filter((run) => failed.includes(run.taskId) && run.node !== victim.name)).toEqual([]);
    },
    120_000,
  );

  faultScenario(
    'cancels a task from a node that does not own it within about two seconds',
    async () => {
      const file = join(sideDir, 'cancelled.txt');
      const release = await direct[2].release(recordedScript(file, 'sleep 60'), false);
      stage('cancel: release created');
      const live = [direct[1], direct[2]];
      const taskId = await live[0].deploy(release, environments[5]);
      const running = await live[0].waitForTask(taskId, (t) => t.state === 'Executing', 30_000, 'to run');
      const run = await eventually(() => Promise.resolve(readRuns(file)[0]), 15_000, 'the script to start');
      expect(processGroupAlive(run.processGroup)).toBe(true);
      const other = running.nodeName === 'node-2' ? live[1] : live[0];
      expect(other.api.baseUrl).not.toBe(
        cluster.nodes.find((node) => node.name === running.nodeName)?.baseUrl,
      );

      const askedAt = Date.now();
      expect((await other.api.post(`/api/tasks/${taskId}/cancel`)).status).toBeLessThan(300);
      const task = await other.waitForTask(taskId, (t) => FINISHED.includes(t.state), 10_000, 'to stop');
      const tookMs = Date.now() - askedAt;
      process.stdout.write(`[ha] cancel from another node took ${tookMs} ms\n`);
      expect(task.state).toBe('Canceled');
      expect(tookMs).toBeLessThan(2500);
      await eventually(
        () => Promise.resolve(processGroupAlive(run.processGroup) ? undefined : true),
        1000,
        'the script to be gone',
      );
      expect(readRuns(file)[0].endedAt).toBeUndefined();
    },
    60_000,
  );

  faultScenario(
    'refuses the late writes of a node paused past the timeout: the task ends as its new owner left it',
    async () => {
      const [, paused, survivor] = cluster.nodes;
      const file = join(sideDir, 'paused.txt');
      // The paused node's run must outlive its pause, so that it has something left to write when
      // it wakes; the new owner's run is short.
      const work = [
        'echo "before the pause on $CLUSTER_NODE_NAME"',
        'if [ "$CLUSTER_NODE_NAME" = node-2 ]; then sleep 30; else sleep 3; fi',
        'echo "after the pause on $CLUSTER_NODE_NAME"',
      ].join('\n');
      const release = await viaHaproxy.release(recordedScript(file, work), true);
      await setDraining(cluster, survivor.name, true);
      const taskId = await viaHaproxy.deploy(release, environments[6]);
      const api = direct[2];
      await api.waitForTask(taskId, (task) => task.state === 'Executing', 30_000, 'to run');
      expect((await api.task(taskId)).nodeName).toBe(paused.name);
      await eventually(
        async () =>
          (await api.logMessages(taskId)).includes('before the pause on node-2') ? true : undefined,
        15_000,
        'the script to start on node-2',
      );
      await setDraining(cluster, survivor.name, false);

      // A paused machine: its services and its script stop together.
      const [firstRun] = readRuns(file);
      paused.kill('SIGSTOP');
      signalProcessGroup(firstRun.processGroup, 'SIGSTOP');
      const pausedAt = Date.now();
      stage('pause: node-2 stopped');
      try {
        const moved = await api.waitForTask(
          taskId,
          (task) => task.state === 'Executing' && task.nodeName === survivor.name,
          HEARTBEAT_TIMEOUT_MS + 20_000,
          'to move to node-3',
        );
        process.stdout.write(
          `[ha] paused node's task moved on ${Date.now() - pausedAt} ms after the pause\n`,
        );
        expect(moved.nodeName).toBe(survivor.name);
        // HAProxy keeps serving through the survivor while node-2 is frozen.
        expect((await viaHaproxy.api.get(`/api/tasks/${taskId}`)).status).toBe(200);
      } finally {
        // Woken while the new owner runs it: the two race, and only the owner's writes may land.
        signalProcessGroup(firstRun.processGroup, 'SIGCONT');
        paused.kill('SIGCONT');
        stage('pause: node-2 resumed');
      }

      const finished = await api.waitForTask(taskId, (t) => FINISHED.includes(t.state), 30_000, 'to finish');
      expect({ state: finished.state, node: finished.nodeName }).toEqual({
        state: 'Success',
        node: survivor.name,
      });
      // The woken node stops its copy of the run once its writes are refused.
      await eventually(
        () => Promise.resolve(processGroupAlive(firstRun.processGroup) ? undefined : true),
        20_000,
        "node-2's script to be stopped",
      );
      await sleep(2000);
      const after = await api.task(taskId);
      expect({ state: after.state, node: after.nodeName, completedAt: after.completedAt }).toEqual({
        state: 'Success',
        node: survivor.name,
        completedAt: finished.completedAt,
      });
      const log = await api.logMessages(taskId);
      expect(log).toContain('after the pause on node-3');
      expect(log).not.toContain('after the pause on node-2');
      const runs = readRuns(file).filter((run) => run.taskId === taskId);
      expect(runs.filter((run) => run.node === paused.name && run.endedAt !== undefined)).toEqual([]);
      expect(runs.filter((run) => run.node === survivor.name && run.endedAt !== undefined)).toHaveLength(1);
    },
    120_000,
  );

  faultScenario(
    'recovers the tasks of a hung executor while the rest of its node keeps heartbeating',
    async () => {
      const [, other, hung] = cluster.nodes;
      const file = join(sideDir, 'hung.txt');
      const work = [
        'echo "started on $CLUSTER_NODE_NAME"',
        'if [ "$CLUSTER_NODE_NAME" = node-3 ]; then sleep 40; else sleep 2; fi',
      ].join('\n');
      const retryable = await viaHaproxy.release(recordedScript(file, work), true);
      const oneShot = await viaHaproxy.release(recordedScript(file, work), false);
      await setDraining(cluster, other.name, true);
      const retried = await viaHaproxy.deploy(retryable, environments[7]);
      const failed = await viaHaproxy.deploy(oneShot, environments[8]);
      const api = direct[1];
      for (const taskId of [retried, failed]) {
        const task = await api.waitForTask(taskId, (t) => t.state === 'Executing', 30_000, 'to run');
        expect(task.nodeName).toBe(hung.name);
      }
      await eventually(
        () => Promise.resolve(readRuns(file).length === 2 ? true : undefined),
        20_000,
        'both scripts to start',
      );
      await setDraining(cluster, other.name, false);

      // Only the executor: the node's five other services go on heartbeating, so the node stays alive.
      hung.signalService('deployment-executor', 'SIGSTOP');
      const frozenAt = Date.now();
      stage('hung executor: node-3 executor stopped');
      try {
        const failedTask = await api.waitForTask(
          failed,
          (t) => FINISHED.includes(t.state),
          30_000,
          'to fail',
        );
        process.stdout.write(`[ha] hung executor's one-shot task failed ${Date.now() - frozenAt} ms after\n`);
        expect(failedTask.state).toBe('Failed');
        expect(failedTask.errorMessage).toMatch(
          /^the deployment executor on node node-3 stopped reporting progress at /,
        );
        await api.waitForTask(retried, (t) => t.nodeName === other.name, 30_000, 'to move to node-2');
        const nodes = await api.nodes();
        expect(nodes.find((node) => node.name === hung.name)?.state).toBe('Running');
      } finally {
        hung.signalService('deployment-executor', 'SIGCONT');
        stage('hung executor: node-3 executor resumed');
      }
      const done = await api.waitForTask(retried, (t) => FINISHED.includes(t.state), 30_000, 'to finish');
      expect({ state: done.state, node: done.nodeName }).toEqual({ state: 'Success', node: other.name });
      const onHung = readRuns(file).filter((run) => run.node === hung.name);
      await eventually(
        () => Promise.resolve(onHung.every((run) => !processGroupAlive(run.processGroup)) ? true : undefined),
        20_000,
        "node-3's scripts to be stopped once its writes are refused",
      );
      expect(readRuns(file).filter((run) => run.node === hung.name && run.endedAt !== undefined)).toEqual([]);
      expect((await api.task(failed)).state).toBe('Failed');
    },
    150_000,
  );
});
