import { ChildProcess, spawn } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { orchestratorV1 } from '@flotilla/contracts';
import { freePort, processGroupAlive } from '@flotilla/testing';

import { ExecutionModule } from './execution.module';
import { OrchestratorDouble } from './test-support/orchestrator-double';
import { scriptWritableFolder } from './test-support/script-writable';
import { sleep, waitFor } from './test-support/waiting';

const REPO_ROOT = resolve(__dirname, '../../..');
const HEARTBEAT_TIMEOUT_MS = 1500;

function tickingTask(pidFile: string): orchestratorV1.TaskPlan {
  return {
    task: {
      id: 'task-paused',
      claim: 1,
      deploymentId: 'deployment-1',
      state: 'Queued',
    } as orchestratorV1.ServerTask,
    projectName: 'Web Shop',
    projectSlug: 'web-shop',
    environmentName: 'Production',
    environmentSlug: 'production',
    releaseVersion: '1.0.0',
    steps: [
      {
        name: 'Tick',
        actionType: 'run-script',
        properties: { scriptBody: `echo $$ > "${pidFile}"; while true; do echo tick; sleep 0.1; done` },
      },
    ],
    variables: [],
    packages: [],
    startAtStep: 0,
  };
}

/**
 * A real executor process is paused (SIGSTOP) for longer than the heartbeat timeout; meanwhile
 * "another node" takes the task over. Resumed (SIGCONT), it must stop the task without writing
 * another line to the task log and without completing it.
 */
describe(`${ExecutionModule.name} (paused node)`, () => {
  let folder: string;
  let orchestrator: OrchestratorDouble;
  let executor: ChildProcess | undefined;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'flotilla-executor-pause-'));
    orchestrator = await new OrchestratorDouble().start();
  });

  afterAll(async () => {
    if (executor && executor.exitCode === null) {
      executor.kill('SIGCONT');
      executor.kill('SIGKILL');
    }
    await orchestrator.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it('stops a task whose claim went stale while the node was paused, writing nothing more', async () => {
    const pidFile = join(await scriptWritableFolder(folder), 'step.pid');
    const logPath = join(folder, 'shared', 'TaskLogs', 'task-paused.log');
    orchestrator.queue.push(tickingTask(pidFile));
    let output = '';
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', join(__dirname, 'test-support/executor-main.ts')],
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          SWC_NODE_PROJECT: 'tsconfig.base.json',
          FLOTILLA_NODE_NAME: 'node-paused',
          FLOTILLA_SHARED_STORAGE: join(folder, 'shared'),
          FLOTILLA_DEPLOY_ROOT: join(folder, 'deployments'),
          FLOTILLA_ORCHESTRATOR_GRPC_URL: orchestrator.url,
          FLOTILLA_ARTIFACTS_GRPC_URL: `127.0.0.1:${await freePort()}`,
          FLOTILLA_EXECUTOR_GRPC_LISTEN: `127.0.0.1:${await freePort()}`,
          FLOTILLA_POLL_INTERVAL_MS: '100',
          FLOTILLA_HEARTBEAT_INTERVAL_MS: '200',
          FLOTILLA_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS),
          FLOTILLA_DRAIN_TIMEOUT_MS: '1000',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    executor = child;
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

    const pgid = await waitFor(async () => {
      const text = await readFile(pidFile, 'utf8').catch(() => '');
      return /^\d+\s*$/.test(text) ? Number(text) : undefined;
    }, 30_000);
    await waitFor(async () => ((await readFile(logPath, 'utf8')).includes('tick') ? true : undefined), 5000);

    child.kill('SIGSTOP');
    await sleep(HEARTBEAT_TIMEOUT_MS + 1000);
    // The cluster declared the node dead and another node claimed the task and writes its log.
    const task = orchestrator.tasks.get('task-paused');
    if (!task) throw new Error('the task was never claimed');
    task.claim = 2;
    // A slow answer: lines the step printed meanwhile must still wait for it.
    orchestrator.progressDelayMs = 300;
    const progressAtResume = orchestrator.progress.length;
    const newOwnerLine = `${JSON.stringify({ timestamp: new Date().toISOString(), level: 'Info', message: 'resumed by node-b' })}\n`;
    await appendFile(logPath, newOwnerLine);
    const logAtResume = await readFile(logPath, 'utf8');
    child.kill('SIGCONT');

    await waitFor(() => (processGroupAlive(pgid) ? undefined : true), 6000);
    await sleep(500);
    expect(await readFile(logPath, 'utf8')).toBe(logAtResume);
    expect(orchestrator.completions).toEqual([]);
    expect(orchestrator.progress.slice(progressAtResume).length).toBeGreaterThan(0);
    expect(output).toContain('claim 1 is stale');

    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) =>
      child.once('exit', (exitCode) => resolve(exitCode)),
    );
    expect(orchestrator.releases).toEqual([]);
    expect(code === 0 || code === null).toBe(true);
  }, 60_000);
});
