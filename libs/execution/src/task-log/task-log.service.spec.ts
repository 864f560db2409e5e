import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';

import { Permission, PermissionGrant } from '@flotilla/api-interfaces';
import { orchestratorV1 } from '@flotilla/contracts';
import { CallerIdentity } from '@flotilla/platform/grpc';
import { SharedStorageLayout } from '@flotilla/platform/storage';

import { TaskOrchestrator } from '../collaborators/task-orchestrator';
import { formatTaskLogLine } from './task-log-line';
import { TaskLogService } from './task-log.service';

const TASK_ID = 'task-1';

function serverTask(overrides: Partial<orchestratorV1.ServerTask>): orchestratorV1.ServerTask {
  return {
    id: TASK_ID,
    name: 'Deploy',
    description: '',
    state: 'Success',
    deploymentId: 'd',
    projectId: 'p',
    environmentId: 'e',
    nodeName: 'node-a',
    claim: 1,
    queuedAt: '2024-05-01T12:00:00.000Z',
    startedAt: '2024-05-01T12:00:01.000Z',
    completedAt: '2024-05-01T12:00:09.000Z',
    errorMessage: '',
    nextStep: 1,
    hasWarningsOrErrors: false,
    logLinesLost: 0,
    logProblem: '',
    ...overrides,
  };
}

/** A user reading logs through the gateway, with TaskView on the given grants. */
function taskViewer(grants?: PermissionGrant[]): CallerIdentity {
  return {
    userId: 'u-viewer',
    username: 'viewer',
    clientIp: '',
    permissions: ['TaskView'],
    ...(grants ? { grants } : {}),
  };
}

/** TaskView everywhere (no team restricts it). */
const viewer = taskViewer();

/** Only GetTask is used by the log service; anything else is a test bug. */
function orchestratorAnswering(task: () => orchestratorV1.ServerTask): TaskOrchestrator {
  const unexpected = () => Promise.reject(new Error('unexpected orchestrator call'));
  return {
    getTask: () => Promise.resolve(task()),
    claimTask: unexpected,
    reportProgress: unexpected,
    completeTask: unexpected,
    releaseTask: unexpected,
    heartbeat: unexpected,
  };
}

describe(TaskLogService.name, () => {
  let root: string;
  let layout: SharedStorageLayout;
  let task: orchestratorV1.ServerTask;
  const line = (message: string, level: 'Info' | 'Warning' = 'Info') =>
    formatTaskLogLine('2024-05-01T12:00:02.000Z', level, message);
  const request = { taskId: TASK_ID, offset: 0, tail: 0 };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'flotilla-log-service-'));
    layout = new SharedStorageLayout(root);
    await mkdir(layout.taskLogsDir, { recursive: true });
    task = serverTask({});
  });

  afterEach(() => rm(root, { recursive: true, force: true }));

  const sut = () =>
    new TaskLogService(
      layout,
      orchestratorAnswering(() => task),
      { pollMs: 10, stateCheckMs: 0 },
    );
  const writeLog = (...lines: string[]) => writeFile(layout.taskLogPath(TASK_ID), lines.join(''));

  it('ends a finished log with a synthetic gap marker for lost lines the file does not mark', async () => {
    const content = [line('one'), line('two')];
    await writeLog(...content);
    task = serverTask({ logLinesLost: 758, logProblem: 'shared storage full (ENOSPC)' });

    const chunk = await sut().read(viewer, request);

    expect(chunk.complete).toBe(true);
    expect(chunk.nextOffset).toBe(Buffer.byteLength(content.join('')));
    expect(chunk.lines.map((entry) => entry.message)).toEqual([
      'one',
      'two',
      'Log gap: 758 line(s) could not be written before the task ended (shared storage full (ENOSPC))',
    ]);
    expect(chunk.lines[2]).toMatchObject({ level: 'Warning', timestamp: task.completedAt });
  });

  it('adds only the lines no marker in the file accounts for, and nothing when markers cover them all', async () => {
    await writeLog(
      line('one'),
      line('Log gap: 2 line(s) could not be written here (shared storage full: ENOSPC)', 'Warning'),
      line('two'),
    );
    task = serverTask({ logLinesLost: 5, logProblem: 'shared storage full (ENOSPC)' });
    expect((await sut().read(viewer, request)).lines.at(-1)?.message).toBe(
      'Log gap: 3 line(s) could not be written before the task ended (shared storage full (ENOSPC))',
    );

    task = serverTask({ logLinesLost: 2, logProblem: 'shared storage full (ENOSPC)' });
    expect((await sut().read(viewer, request)).lines.map((entry) => entry.message)).toEqual([
      'one',
      'Log gap: 2 line(s) could not be written here (shared storage full: ENOSPC)',
      'two',
    ]);
  });

  it('adds no marker while the task runs, nor for a complete log', async () => {
    await writeLog(line('one'));
    task = serverTask({ state: 'Executing', logLinesLost: 0 });
    await expect(sut().read(viewer, request)).resolves.toMatchObject({
      complete: false,
      lines: [{ message: 'one' }],
    });
    task = serverTask({});
    await expect(sut().read(viewer, request)).resolves.toMatchObject({
      complete: true,
      lines: [{ message: 'one' }],
    });
  });

  it('marks lost lines of a task that never wrote its log file at all', async () => {
    task = serverTask({ logLinesLost: 4, logProblem: 'shared storage read-only (EROFS)' });
    await expect(sut().read(viewer, request)).resolves.toMatchObject({
      complete: true,
      nextOffset: 0,
      lines: [
        {
          message:
            'Log gap: 4 line(s) could not be written before the task ended (shared storage read-only (EROFS))',
        },
      ],
    });
  });

  it('sends the marker with the final chunk of a followed log', async () => {
    await writeLog(line('one'));
    task = serverTask({ logLinesLost: 1, logProblem: 'shared storage full (ENOSPC)' });
    const chunks = await lastValueFrom(sut().follow(viewer, request).pipe(toArray()));
    const final = chunks.at(-1);
    expect(final?.complete).toBe(true);
    expect(final?.lines.at(-1)?.message).toMatch(/^Log gap: 1 line\(s\)/);
    expect(chunks.flatMap((chunk) => chunk.lines).map((entry) => entry.message)).toEqual([
      'one',
      'Log gap: 1 line(s) could not be written before the task ended (shared storage full (ENOSPC))',
    ]);
    await expect(
      firstValueFrom(sut().follow(viewer, { ...request, offset: final?.nextOffset ?? 0 })),
    ).resolves.toMatchObject({
      complete: true,
    });
  });
  describe('scope (teams with scoped roles)', () => {
    const inProject = (projectIds: string[], environmentIds?: string[]) =>
      taskViewer([{ permissions: [Permission.TaskView], projectIds, environmentIds }]);
    /** What the gRPC adapter sends for a NOT_FOUND: the same for a missing task and one out of scope. */
    const notFound = { code: status.NOT_FOUND, message: `Task ${TASK_ID} was not found` };
    const refusal = (attempt: Promise<unknown>) =>
      attempt.then(
        () => 'answered',
        (error: RpcException) => error.getError(),
      );

    it("reads and follows the log of a task in the caller's project and environment", async () => {
      await writeLog(line('one'));
      const scoped = inProject(['p'], ['e']);
      await expect(sut().read(scoped, request)).resolves.toMatchObject({ lines: [{ message: 'one' }] });
      const chunks = await lastValueFrom(sut().follow(scoped, request).pipe(toArray()));
      expect(chunks.flatMap((chunk) => chunk.lines).map((entry) => entry.message)).toEqual(['one']);
    });

    it('answers a task of another project or environment as missing, before reading a line', async () => {
      await writeLog(line('secret of project p'));
      for (const caller of [inProject(['other']), inProject(['p'], ['other-env']), inProject([])]) {
        await expect(refusal(sut().read(caller, request))).resolves.toEqual(notFound);
        await expect(refusal(lastValueFrom(sut().follow(caller, request)))).resolves.toEqual(notFound);
      }
    });

    it('answers a task that does not exist the same way', async () => {
      const missing = new TaskLogService(
        layout,
        {
          ...orchestratorAnswering(() => task),
          // How a grpc-js client rejects a NOT_FOUND answer.
          getTask: () => Promise.reject(Object.assign(new Error('no task'), { code: status.NOT_FOUND })),
        },
        { pollMs: 10, stateCheckMs: 0 },
      );
      await expect(refusal(missing.read(viewer, request))).resolves.toEqual(notFound);
    });
  });
});
