import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { INestMicroservice } from '@nestjs/common';
import Redis from 'ioredis';

import { orchestratorV1 } from '@flotilla/contracts';
import { freePort, processGroupAlive } from '@flotilla/testing';

import { TASKS_CANCEL_CHANNEL } from './claim-loop/task-wakeups';
import { ExecutionModule } from './execution.module';
import { startExecutorApp } from './test-support/executor-app';
import { OrchestratorDouble } from './test-support/orchestrator-double';
import { scriptWritableFolder } from './test-support/script-writable';
import { sleep, waitFor } from './test-support/waiting';

function scriptTask(id: string, scripts: string[], variables: Record<string, string> = {}) {
  return {
    task: { id, claim: 1, deploymentId: `deployment-${id}`, state: 'Queued' } as orchestratorV1.ServerTask,
    projectName: 'Web Shop',
    projectSlug: 'web-shop',
    environmentName: 'Production',
    environmentSlug: 'production',
    releaseVersion: '1.0.0',
    steps: scripts.map((scriptBody, index) => ({
      name: `Step${index + 1}`,
      actionType: 'run-script',
      properties: { scriptBody },
    })),
    variables: Object.entries(variables).map(([name, value]) => ({
      name,
      value,
      environmentIds: [],
      isSensitive: false,
    })),
    packages: [],
    startAtStep: 0,
  } as orchestratorV1.TaskPlan;
}

async function readPid(path: string): Promise<number | undefined> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return /^\d+\s*$/.test(text) ? Number(text) : undefined;
}

/** High-availability behaviour of the executor as deployed, against an orchestrator double over gRPC. */
describe(`${ExecutionModule.name} (HA)`, () => {
  let folder: string;
  let orchestrator: OrchestratorDouble;
  let app: INestMicroservice | undefined;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'flotilla-executor-ha-'));
    orchestrator = await new OrchestratorDouble().start();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await orchestrator.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it('heartbeats its default task cap and claims nothing while the reply says it is draining', async () => {
    orchestrator.node = { isDraining: true };
    orchestrator.queue.push(scriptTask('task-held', ['echo hi']));
    app = await startExecutorApp(folder, orchestrator.url, `127.0.0.1:${await freePort()}`, {
      FLOTILLA_TASK_CAP: '4',
    });
    await waitFor(() => (orchestrator.heartbeats.length >= 3 ? true : undefined), 3000);
    await sleep(300);
    expect(orchestrator.heartbeats[0]).toMatchObject({ nodeName: 'node-ha', defaultTaskCap: 4 });
    expect(orchestrator.claims).toEqual([]);

    orchestrator.node = {};
    const completion = await waitFor(
      () => orchestrator.completions.find((c) => c.taskId === 'task-held'),
      3000,
    );
    expect(completion.state).toBe('Success');
    expect(orchestrator.claims[0]).toMatchObject({ nodeName: 'node-ha', freeSlots: 4 });
  });

  it('claims nothing while the node is over the licence limit', async () => {
    orchestrator.node = { overLicenceLimit: true, statusMessage: 'Licence allows 1 node' };
    orchestrator.queue.push(scriptTask('task-held', ['echo hi']));
    app = await startExecutorApp(folder, orchestrator.url, `127.0.0.1:${await freePort()}`);
    await waitFor(() => (orchestrator.heartbeats.length >= 3 ? true : undefined), 3000);
    await sleep(300);
    expect(orchestrator.claims).toEqual([]);
  });

  it('on shutdown past the drain timeout kills the step and hands the task back at its step', async () => {
    const pidFile = join(await scriptWritableFolder(folder), 'step.pid');
    orchestrator.queue.push(
      scriptTask(
        'task-long',
        ['echo first', 'echo $$ > "#{PidFile}"; echo started; sleep 30', 'echo third'],
        {
          PidFile: pidFile,
        },
      ),
    );
    app = await startExecutorApp(folder, orchestrator.url, `127.0.0.1:${await freePort()}`, {
      FLOTILLA_DRAIN_TIMEOUT_MS: '500',
    });
    const pgid = await waitFor(() => readPid(pidFile), 5000);
    expect(processGroupAlive(pgid)).toBe(true);

    const started = Date.now();
    await app.close();
    app = undefined;

    expect(Date.now() - started).toBeLessThan(5000);
    expect(orchestrator.releases).toEqual([
      { taskId: 'task-long', claim: 1, nextStep: 1, reason: 'Node node-ha is stopping' },
    ]);
    expect(orchestrator.completions).toEqual([]);
    await waitFor(() => (processGroupAlive(pgid) ? undefined : true), 3000);
    const log = await readFile(join(folder, 'shared', 'TaskLogs', 'task-long.log'), 'utf8');
    const messages = log
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { message: string }).message);
    expect(messages.at(-1)).toBe('Node node-ha is stopping: task handed back to the queue at step 2');
    expect(messages).not.toContain('echo third');
  });

  it('lets a task that finishes within the drain timeout complete, and releases nothing', async () => {
    orchestrator.queue.push(scriptTask('task-short', ['sleep 0.5; echo done']));
    app = await startExecutorApp(folder, orchestrator.url, `127.0.0.1:${await freePort()}`, {
      FLOTILLA_DRAIN_TIMEOUT_MS: '5000',
    });
    await waitFor(() => (orchestrator.tasks.has('task-short') ? true : undefined), 3000);
    await app.close();
    app = undefined;
    expect(orchestrator.completions.map((c) => [c.taskId, c.state])).toEqual([['task-short', 'Success']]);
    expect(orchestrator.releases).toEqual([]);
  });

  describe('with Redis', () => {
    let redis: ChildProcess;
    let redisUrl: string;
    let publisher: Redis;

    beforeAll(async () => {
      const port = await freePort();
      redisUrl = `redis://127.0.0.1:${port}`;
      redis = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: 'ignore',
        },
      );
      publisher = new Redis(redisUrl, { retryStrategy: () => 50 });
      await publisher.ping();
    });

    afterAll(async () => {
      publisher.disconnect();
      redis.kill('SIGTERM');
      await new Promise((resolve) => redis.once('exit', resolve));
    });

    it('reports progress at once on a cancel signal, and stops because the reply says so', async () => {
      orchestrator.queue.push(scriptTask('task-cancel', ['sleep 30']));
      app = await startExecutorApp(folder, orchestrator.url, `127.0.0.1:${await freePort()}`, {
        FLOTILLA_REDIS_URL: redisUrl,
        // Regular reports 5 s apart: a report within 2.5 s of the signal can only be the signal's,
        // with room for a loaded CI machine (a 1 s cadence left 200 ms and failed there once).
        FLOTILLA_TASK_PROGRESS_INTERVAL_MS: '5000',
      });
      await waitFor(() => (orchestrator.progress.length > 0 ? true : undefined), 8000);
      // Right after a tick, so the next one is ~5 s away: only the signal can explain a quick report.
      const count = orchestrator.progress.length;
      await waitFor(() => (orchestrator.progress.length > count ? true : undefined), 8000);
      const tickAt = Date.now();
      orchestrator.cancelRequested.add('task-cancel');
      await publisher.publish(TASKS_CANCEL_CHANNEL, 'task-cancel');
      const completion = await waitFor(
        () => orchestrator.completions.find((c) => c.taskId === 'task-cancel'),
        5000,
      );
      const signalled = orchestrator.progress.find((p) => p.at > tickAt);
      expect(signalled).toBeDefined();
      expect((signalled?.at ?? Infinity) - tickAt).toBeLessThan(2500);
      expect(completion.state).toBe('Canceled');
    });

    it('ignores a cancel signal for a task it does not run (the orchestrator decides)', async () => {
      orchestrator.queue.push(scriptTask('task-other', ['sleep 1']));
      app = await startExecutorApp(folder, orchestrator.url, `127.0.0.1:${await freePort()}`, {
        FLOTILLA_REDIS_URL: redisUrl,
      });
      await waitFor(() => (orchestrator.tasks.has('task-other') ? true : undefined), 3000);
      await sleep(300);
      // The signal alone is not trusted: the orchestrator did not flag the task, so it runs on.
      await publisher.publish(TASKS_CANCEL_CHANNEL, 'task-other');
      await publisher.publish(TASKS_CANCEL_CHANNEL, 'no-such-task');
      const completion = await waitFor(
        () => orchestrator.completions.find((c) => c.taskId === 'task-other'),
        5000,
      );
      expect(completion.state).toBe('Success');
    });
  });
});
