import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Global, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientGrpc, ClientProxyFactory } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';

import { executorV1, orchestratorV1, SERVICE_CONTRACTS } from '@flotilla/contracts';
import { FLOTILLA_CONFIG, loadFlotillaConfig } from '@flotilla/platform/config';
import { grpcClientOptions, grpcOptions, identityToMetadata } from '@flotilla/platform/grpc';
import { SharedStorageLayout } from '@flotilla/platform/storage';
import { buildZip, freePort } from '@flotilla/testing';

import { ClaimLoop } from './claim-loop/claim-loop';
import { ExecutionModule } from './execution.module';
import { formatTaskLogLine } from './task-log/task-log-line';
import { startArtifactStoreDouble, StoredPackage } from './test-support/artifact-store-double';
import { OrchestratorDouble } from './test-support/orchestrator-double';

/**
 * The gateway reading a task's log for a user with TaskView (the policy of both log methods):
 * everywhere, or through a team grant restricted to some projects.
 */
function asTaskViewer(projectIds?: string[]) {
  return identityToMetadata({
    userId: 'u-viewer',
    username: 'viewer',
    clientIp: '',
    permissions: ['TaskView'],
    ...(projectIds ? { grants: [{ permissions: ['TaskView' as const], projectIds }] } : {}),
  });
}

function taskPlan(
  id: string,
  steps: orchestratorV1.DeploymentStep[],
  packages: orchestratorV1.ReleasePackage[] = [],
) {
  return {
    task: { id, claim: 1, deploymentId: `deployment-${id}`, state: 'Queued' } as orchestratorV1.ServerTask,
    projectName: 'Web Shop',
    projectSlug: 'web-shop',
    environmentName: 'Production',
    environmentSlug: 'production',
    releaseVersion: '1.0.0',
    steps,
    variables: [{ name: 'Greeting', value: 'hello', environmentIds: [], isSensitive: false }],
    packages,
    startAtStep: 0,
  } as orchestratorV1.TaskPlan;
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The executor as deployed: ExecutionModule in a Nest gRPC microservice, collaborators over real gRPC. */
describe(ExecutionModule.name, () => {
  let folder: string;
  let orchestrator: OrchestratorDouble;
  let artifacts: Awaited<ReturnType<typeof startArtifactStoreDouble>>;
  const packages: StoredPackage[] = [];
  let app: INestMicroservice;
  let executorClient: ClientGrpc;
  let executor: executorV1.ExecutorServiceClient;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'flotilla-executor-'));
    orchestrator = await new OrchestratorDouble().start();
    artifacts = await startArtifactStoreDouble(packages);
    const listen = `127.0.0.1:${await freePort()}`;
    const config = loadFlotillaConfig({
      FLOTILLA_NODE_NAME: 'node-test',
      FLOTILLA_DB_URL: 'postgres://unused@127.0.0.1:5432/unused',
      FLOTILLA_SHARED_STORAGE: join(folder, 'shared'),
      FLOTILLA_DEPLOY_ROOT: join(folder, 'deployments'),
      FLOTILLA_ORCHESTRATOR_GRPC_URL: orchestrator.url,
      FLOTILLA_ARTIFACTS_GRPC_URL: artifacts.url,
      FLOTILLA_EXECUTOR_GRPC_LISTEN: listen,
      FLOTILLA_TASK_CAP: '2',
      FLOTILLA_POLL_INTERVAL_MS: '100',
      FLOTILLA_HEARTBEAT_INTERVAL_MS: '200',
    });

    @Global()
    @Module({ providers: [{ provide: FLOTILLA_CONFIG, useValue: config }], exports: [FLOTILLA_CONFIG] })
    class TestConfigModule {}

    @Module({ imports: [TestConfigModule, ExecutionModule] })
    class TestAppModule {}

    app = await NestFactory.createMicroservice(TestAppModule, {
      ...grpcOptions('executor', listen),
      logger: ['error'],
    });
    await app.listen();
    executorClient = ClientProxyFactory.create(
      grpcClientOptions('executor', listen),
    ) as unknown as ClientGrpc;
    executor = executorClient.getService<executorV1.ExecutorServiceClient>(
      SERVICE_CONTRACTS.executor.serviceName,
    );
  });

  afterAll(async () => {
    (executorClient as unknown as { close(): void }).close();
    await app.close();
    await orchestrator.stop();
    await artifacts.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it('heartbeats as deployment-executor', async () => {
    const beat = await waitFor(() => orchestrator.heartbeats[0], 2000);
    expect(beat).toMatchObject({ nodeName: 'node-test', service: 'deployment-executor' });
  });

  it('claims a queued task, runs its steps and completes it Success', async () => {
    packages.push({
      packageId: 'webapp',
      version: '1.0.0',
      format: 'zip',
      content: buildZip([{ name: 'index.html', content: 'v1' }]),
    });
    orchestrator.queue.push(
      taskPlan(
        'task-ok',
        [
          { name: 'Web', actionType: 'deploy-package', properties: { packageId: 'webapp' } },
          {
            name: 'Check',
            actionType: 'run-script',
            properties: {
              scriptBody:
                'echo "#{Greeting} from $(cat "#{Flotilla.Package.Web.InstallationDirectoryPath}/index.html")"',
            },
          },
        ],
        [{ stepName: 'Web', packageId: 'webapp', version: '1.0.0' }],
      ),
    );
    const completion = await waitFor(
      () => orchestrator.completions.find((c) => c.taskId === 'task-ok'),
      5000,
    );
    expect(completion).toEqual({
      taskId: 'task-ok',
      claim: 1,
      state: 'Success',
      errorMessage: '',
      nextStep: 2,
      logLinesLost: 0,
      logProblem: '',
    });
    expect(orchestrator.claims[0]).toMatchObject({ nodeName: 'node-test', freeSlots: 2 });

    const chunk = await lastValueFrom(
      executor.readTaskLog({ taskId: 'task-ok', offset: 0, tail: 0 }, asTaskViewer()),
    );
    expect(chunk.lines.map((line) => line.message)).toContain('hello from v1');
    expect(chunk.complete).toBe(true);
    const file = await readFile(join(folder, 'shared', 'TaskLogs', 'task-ok.log'));
    expect(chunk.nextOffset).toBe(file.length);
  });

  it('kills the running script and completes Canceled when the orchestrator asks', async () => {
    orchestrator.queue.push(
      taskPlan('task-cancel', [
        { name: 'Wait', actionType: 'run-script', properties: { scriptBody: 'echo waiting\nsleep 30' } },
      ]),
    );
    await waitFor(() => (orchestrator.tasks.has('task-cancel') ? true : undefined), 3000);
    const follow = executor.followTaskLog({ taskId: 'task-cancel', offset: 0, tail: 0 }, asTaskViewer());
    const firstChunk = firstValueFrom(follow);
    orchestrator.cancelRequested.add('task-cancel');
    const cancelledAt = Date.now();
    const completion = await waitFor(
      () => orchestrator.completions.find((c) => c.taskId === 'task-cancel'),
      5000,
    );
    expect(completion.state).toBe('Canceled');
    expect(Date.now() - cancelledAt).toBeLessThan(3000);
    expect((await firstChunk).lines.length).toBeGreaterThan(0);
  });

  it('stops a task whose claim went stale without completing it', async () => {
    orchestrator.queue.push(
      taskPlan('task-stale', [
        { name: 'Wait', actionType: 'run-script', properties: { scriptBody: 'sleep 30' } },
      ]),
    );
    const task = await waitFor(() => orchestrator.tasks.get('task-stale'), 3000);
    // Another node re-claimed the task: our claim 1 is now stale.
    task.claim = 2;
    await waitFor(() => (app.get(ClaimLoop).runningCount === 0 ? true : undefined), 4000);
    expect(orchestrator.completions.find((c) => c.taskId === 'task-stale')).toBeUndefined();
    expect(task.state).toBe('Executing');
  });

  it('follows a log as it grows and ends with complete = true', async () => {
    orchestrator.queue.push(
      taskPlan('task-follow', [
        {
          name: 'Count',
          actionType: 'run-script',
          properties: { scriptBody: 'for i in 1 2 3; do echo "n$i"; sleep 0.3; done' },
        },
      ]),
    );
    await waitFor(() => (orchestrator.tasks.has('task-follow') ? true : undefined), 3000);
    const chunks = await lastValueFrom(
      executor.followTaskLog({ taskId: 'task-follow', offset: 0, tail: 0 }, asTaskViewer()).pipe(toArray()),
    );
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks[chunks.length - 1].complete).toBe(true);
    expect(chunks.slice(0, -1).every((chunk) => !chunk.complete)).toBe(true);
    const messages = chunks.flatMap((chunk) => chunk.lines.map((line) => line.message));
    expect(messages.filter((message) => /^n\d$/.test(message))).toEqual(['n1', 'n2', 'n3']);
  });

  it('answers NOT_FOUND for a task that does not exist and an empty, incomplete log for a queued one', async () => {
    await expect(
      lastValueFrom(executor.readTaskLog({ taskId: 'no-such-task', offset: 0, tail: 0 }, asTaskViewer())),
    ).rejects.toMatchObject({ code: 5 });
    orchestrator.tasks.set('task-queued', {
      id: 'task-queued',
      state: 'Queued',
      claim: 0,
    } as orchestratorV1.ServerTask);
    await expect(
      lastValueFrom(executor.readTaskLog({ taskId: 'task-queued', offset: 0, tail: 0 }, asTaskViewer())),
    ).resolves.toEqual({
      lines: [],
      nextOffset: 0,
      complete: false,
    });
  });

  it("answers a task outside the caller's scope as missing, read or followed, and serves it in scope", async () => {
    orchestrator.tasks.set('task-of-shop', {
      id: 'task-of-shop',
      state: 'Success',
      claim: 1,
      projectId: 'Projects-shop',
      environmentId: 'Environments-production',
    } as orchestratorV1.ServerTask);
    const logPath = new SharedStorageLayout(join(folder, 'shared')).taskLogPath('task-of-shop');
    await mkdir(join(logPath, '..'), { recursive: true });
    await writeFile(logPath, formatTaskLogLine('2026-12-01T00:00:00.000Z', 'Info', 'the shop deployed'));
    const request = { taskId: 'task-of-shop', offset: 0, tail: 0 };
    const notFound = { code: 5, details: 'Task task-of-shop was not found' };

    const outOfScope = asTaskViewer(['Projects-other']);
    await expect(lastValueFrom(executor.readTaskLog(request, outOfScope))).rejects.toMatchObject(notFound);
    await expect(lastValueFrom(executor.followTaskLog(request, outOfScope))).rejects.toMatchObject(notFound);

    const inScope = asTaskViewer(['Projects-shop']);
    await expect(lastValueFrom(executor.readTaskLog(request, inScope))).resolves.toMatchObject({
      lines: [{ message: 'the shop deployed' }],
      complete: true,
    });
  });

  it('refuses a task id that could name another file', async () => {
    await expect(
      lastValueFrom(executor.readTaskLog({ taskId: '../secrets', offset: 0, tail: 0 }, asTaskViewer())),
    ).rejects.toMatchObject({ code: 3 });
    await expect(
      lastValueFrom(
        executor.followTaskLog({ taskId: '../secrets', offset: 0, tail: 0 }, asTaskViewer()).pipe(take(1)),
      ),
    ).rejects.toMatchObject({ code: 3 });
  });
});
