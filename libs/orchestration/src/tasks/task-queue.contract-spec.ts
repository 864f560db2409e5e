import { status } from '@grpc/grpc-js';

import {
  alice,
  environmentNamed,
  executor,
  projectWithRelease,
  scriptStep,
} from '../testing/orchestration-fixtures';
import { createOrchestrationHarness, OrchestrationHarness } from '../testing/orchestration-harness';
import {
  createReplicatedOrchestrationDatabase,
  DATABASE_SETUP_TIMEOUT_MS,
  ReplicatedDatabase,
} from '../testing/replicated-database.test-support';
import { contractSql } from '../testing/contract-sql.test-support';
import { rpcRefusal } from '../testing/rpc-expectations';
import { NodesRepository } from '../nodes/nodes.repository';
import { Transactions } from '../shared/transactions';
import { ClaimedTasksService } from './claimed-tasks.service';
import { ServerTaskEntity } from './server-task.entity';
import { TaskConcurrencyLockEntity } from './task-concurrency-lock.entity';
import { TasksRepository } from './tasks.repository';

/** This run's database: the spec's own raw SQL is written for both. */
const { p } = contractSql();

describe(ClaimedTasksService.name, () => {
  let db: ReplicatedDatabase;
  let sut: OrchestrationHarness;
  let other: OrchestrationHarness;

  beforeAll(async () => {
    db = await createReplicatedOrchestrationDatabase();
    sut = createOrchestrationHarness(db.dataSource);
    other = createOrchestrationHarness(db.secondReplica);
  }, DATABASE_SETUP_TIMEOUT_MS);
  afterAll(() => db.dispose());
  // Each spec starts from an empty queue. Claims come only from live registered nodes: beat before
  // each spec, not once, so that a slow run (a loaded machine, a slower server) does not take them
  // for offline after the 30 s timeout. These have room for every task of every spec here.
  beforeEach(async () => {
    await finishEverything();
    await beatAll();
  });

  const beatAll = async () => {
    for (const nodeName of ['node-a', 'node-b', 'node-c']) await heartbeat(nodeName, 50);
  };

  const heartbeat = (nodeName: string, defaultTaskCap: number) =>
    sut.nodes.heartbeat({ nodeName, service: 'executor', version: '1.0.0', defaultTaskCap, stopping: false });

  /**
   * Claims `taskId` for `nodeName` the way ClaimedTasksService does (node lock, conditional update,
   * concurrency key) in a transaction left open: a claimer caught mid-claim. Commit it to finish.
   */
  async function claimHeldOpen(taskId: string, nodeName: string): Promise<{ commit(): Promise<void> }> {
    const transactions = new Transactions(db.dataSource);
    const tasks = new TasksRepository(transactions);
    const runner = db.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    const finish = async (commit: boolean) => {
      if (commit) await runner.commitTransaction();
      else if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    };
    try {
      const node = await new NodesRepository(transactions).lockForClaim(runner.manager, nodeName, 30_000);
      const claim = await tasks.claim(runner.manager, taskId, nodeName, node?.taskCap ?? 0);
      const task = await tasks.findById(taskId, runner.manager);
      if (claim === undefined || !task) throw new Error(`${nodeName} could not claim ${taskId}`);
      if (!(await tasks.lock(runner.manager, task.concurrencyKey, taskId, claim)))
        throw new Error(`the concurrency key of ${taskId} is taken`);
      return { commit: () => finish(true) };
    } catch (error) {
      await finish(false);
      throw error;
    }
  }

  /**
   * Runs `claim` beside the held-open claim and commits that one once `claim` has finished, or has
   * gone on for 3 s past taking its node lock, where it waits on the held claim if it must. A fixed
   * delay from the start is not enough on a loaded machine: the claimer could still be reading the
   * queue when the held claim commits, and the race this is about would never be run.
   */
  async function raceAgainst<T>(held: { commit(): Promise<void> }, claim: () => Promise<T>): Promise<T> {
    const lockForClaim = NodesRepository.prototype.lockForClaim;
    let reachedNodeLock = () => undefined as void;
    const reached = new Promise<void>((resolve) => (reachedNodeLock = resolve));
    const spy = jest.spyOn(NodesRepository.prototype, 'lockForClaim').mockImplementation(function (
      this: NodesRepository,
      ...args
    ) {
      reachedNodeLock();
      return lockForClaim.apply(this, args);
    });
    const racing = claim();
    const stood = reached.then(() => new Promise((resolve) => setTimeout(resolve, 3000)));
    try {
      await Promise.race([racing.catch(() => undefined), stood]);
    } finally {
      spy.mockRestore();
      await held.commit();
    }
    return racing;
  }

  /** Claims until the queue has nothing more for this claimer. */
  async function drain(harness: OrchestrationHarness, node: string): Promise<string[]> {
    const claimed: string[] = [];
    for (;;) {
      const reply = await harness.claimed.claim({ nodeName: node, freeSlots: 10 });
      if (!reply.plan?.task) return claimed;
      claimed.push(reply.plan.task.id);
    }
  }

  async function finishEverything(): Promise<void> {
    await db.dataSource.query("UPDATE server_tasks SET state = 'Success' WHERE state <> 'Success'");
    await db.dataSource.query('DELETE FROM task_concurrency_locks');
  }

  /**
   * For the specs that queue and claim many tasks: 20 deployments and some 80 claim transactions
   * take 5 s on PostgreSQL but 20-40 s on Babelfish on a loaded two-core machine (each new pooled
   * connection costs it about 3 s to open there), past the default 30 s.
   */
  const MANY_TASKS_TIMEOUT_MS = 90_000;

  it(
    'lets two concurrent claimers claim each of 20 queued tasks exactly once',
    async () => {
      const { release } = await projectWithRelease(sut, 'Claim race');
      const queued: string[] = [];
      for (let i = 0; i < 20; i++) {
        // Distinct environments: all 20 may run at once, so only the claim decides.
        const environment = await environmentNamed(sut, `Race ${i}`);
        queued.push(
          (await sut.deployments.create(alice, { releaseId: release.id, environmentId: environment.id }))
            .taskId,
        );
      }

      // Queueing 20 can outlast the heartbeat timeout on a slow server; live nodes beat all along.
      await beatAll();
      const results = await Promise.all([
        drain(sut, 'node-a'),
        drain(sut, 'node-a'),
        drain(other, 'node-b'),
        drain(other, 'node-b'),
      ]);

      const claimed = results.flat();
      expect(claimed).toHaveLength(20);
      expect(new Set(claimed)).toEqual(new Set(queued));
      const rows = await db.dataSource.getRepository(ServerTaskEntity).findBy({ state: 'Executing' });
      expect(rows).toHaveLength(20);
      expect(rows.every((row) => row.claim === 1 && row.startedAt !== null)).toBe(true);
      await finishEverything();
    },
    MANY_TASKS_TIMEOUT_MS,
  );

  it('claims nothing for a node without free slots', async () => {
    const { release } = await projectWithRelease(sut, 'No slots');
    const environment = await environmentNamed(sut, 'No slots env');
    await sut.deployments.create(alice, { releaseId: release.id, environmentId: environment.id });

    await expect(sut.claimed.claim({ nodeName: 'node-a', freeSlots: 0 })).resolves.toEqual({
      plan: undefined,
    });
    await expect(sut.claimed.claim({ nodeName: 'node-a', freeSlots: 1 })).resolves.toMatchObject({
      plan: { task: { state: 'Executing' } },
    });
    await finishEverything();
  });

  it('refuses progress and completion carrying a stale claim, and accepts the current one', async () => {
    const { release } = await projectWithRelease(sut, 'Fencing');
    const environment = await environmentNamed(sut, 'Fencing env');
    const { taskId } = await sut.deployments.create(alice, {
      releaseId: release.id,
      environmentId: environment.id,
    });
    const plan = (await sut.claimed.claim({ nodeName: 'node-a', freeSlots: 1 })).plan;
    const claim = plan?.task?.claim ?? -1;
    expect(claim).toBe(1);

    for (const stale of [0, 2]) {
      await expect(
        rpcRefusal(sut.claimed.reportProgress({ taskId, claim: stale, nextStep: 1 })),
      ).resolves.toEqual({
        code: status.FAILED_PRECONDITION,
        message: expect.stringContaining('stale claim') as string,
      });
      await expect(
        rpcRefusal(
          sut.claimed.complete(executor, {
            taskId,
            claim: stale,
            state: 'Success',
            errorMessage: '',
            nextStep: 1,
            logLinesLost: 0,
            logProblem: '',
          }),
        ),
      ).resolves.toMatchObject({ code: status.FAILED_PRECONDITION });
    }
    await expect(sut.tasks.get(alice, taskId)).resolves.toMatchObject({ state: 'Executing', nextStep: 0 });

    await expect(sut.claimed.reportProgress({ taskId, claim, nextStep: 1 })).resolves.toEqual({
      cancelRequested: false,
    });
    // A retried, older report committing late must not move the task back a step.
    await sut.claimed.reportProgress({ taskId, claim, nextStep: 0 });
    await expect(sut.tasks.get(alice, taskId)).resolves.toMatchObject({ nextStep: 1 });
    const done = await sut.claimed.complete(executor, {
      taskId,
      claim,
      state: 'Success',
      errorMessage: '',
      nextStep: 1,
      logLinesLost: 0,
      logProblem: '',
    });
    expect(done).toMatchObject({ state: 'Success', nextStep: 1, nodeName: 'node-a' });
    expect(done.completedAt).not.toBe('');
    await expect(db.dataSource.getRepository(TaskConcurrencyLockEntity).countBy({ taskId })).resolves.toBe(0);
    // Once finished, even the right claim may not write again.
    await expect(
      rpcRefusal(sut.claimed.reportProgress({ taskId, claim, nextStep: 2 })),
    ).resolves.toMatchObject({ code: status.FAILED_PRECONDITION });
  });

  it('records lost log lines with the completion: a Success with warnings, in the task, its row and the audit trail', async () => {
    const { release } = await projectWithRelease(sut, 'Lost lines');
    const environment = await environmentNamed(sut, 'Lost lines env');
    const incomplete = await sut.deployments.create(alice, {
      releaseId: release.id,
      environmentId: environment.id,
    });
    const plan = (await sut.claimed.claim({ nodeName: 'node-a', freeSlots: 1 })).plan;
    const claim = plan?.task?.claim ?? -1;

    await expect(
      rpcRefusal(
        sut.claimed.complete(executor, {
          taskId: incomplete.taskId,
          claim,
          state: 'Success',
          errorMessage: '',
          nextStep: 1,
          logLinesLost: -1,
          logProblem: '',
        }),
      ),
    ).resolves.toMatchObject({ code: status.INVALID_ARGUMENT });
    const done = await sut.claimed.complete(executor, {
      taskId: incomplete.taskId,
      claim,
      state: 'Success',
      errorMessage: '',
      nextStep: 1,
      logLinesLost: 758,
      logProblem: ' shared storage full (ENOSPC) ',
    });

    const expected = {
      state: 'Success',
      logLinesLost: 758,
      logProblem: 'shared storage full (ENOSPC)',
      hasWarningsOrErrors: true,
    };
    expect(done).toMatchObject(expected);
    // Read back through another replica: it is in the row, not just in the reply.
    await expect(other.tasks.get(alice, incomplete.taskId)).resolves.toMatchObject(expected);
    const audited = await db.dataSource.query<{ details: string }[]>(
      `SELECT details FROM orchestrator_audit_outbox WHERE action = 'task.completed' AND resource_id = ${p(1)}`,
      [incomplete.taskId],
    );
    expect(audited.map((row) => JSON.parse(row.details) as unknown)).toEqual([
      expect.objectContaining({ logLinesLost: 758, logProblem: 'shared storage full (ENOSPC)' }),
    ]);

    // A complete log (what executors that predate the fields send) stays a clean Success.
    const clean = await sut.deployments.create(alice, {
      releaseId: release.id,
      environmentId: environment.id,
    });
    const next = (await sut.claimed.claim({ nodeName: 'node-a', freeSlots: 1 })).plan;
    expect(next?.task?.id).toBe(clean.taskId);
    await expect(
      sut.claimed.complete(executor, {
        taskId: clean.taskId,
        claim: next?.task?.claim ?? -1,
        state: 'Success',
        errorMessage: '',
        nextStep: 1,
        logLinesLost: 0,
        logProblem: '',
      }),
    ).resolves.toMatchObject({ logLinesLost: 0, logProblem: '', hasWarningsOrErrors: false });
  });

  it('never executes two deployments of one project and environment at once, while another environment runs', async () => {
    const { release } = await projectWithRelease(sut, 'Serial');
    const test = await environmentNamed(sut, 'Serial test');
    const prod = await environmentNamed(sut, 'Serial prod');
    const first = await sut.deployments.create(alice, { releaseId: release.id, environmentId: test.id });
    const second = await sut.deployments.create(alice, { releaseId: release.id, environmentId: test.id });
    const elsewhere = await sut.deployments.create(alice, { releaseId: release.id, environmentId: prod.id });

    const claimed = (
      await Promise.all([drain(sut, 'node-a'), drain(other, 'node-b'), drain(other, 'node-c')])
    ).flat();
    expect(claimed.sort()).toEqual([first.taskId, elsewhere.taskId].sort());
    await expect(sut.tasks.get(alice, second.taskId)).resolves.toMatchObject({ state: 'Queued' });

    const owner = await sut.tasks.get(alice, first.taskId);
    await sut.claimed.complete(executor, {
      taskId: first.taskId,
      claim: owner.claim,
      state: 'Failed',
      errorMessage: 'exit 1',
      nextStep: 0,
      logLinesLost: 0,
      logProblem: '',
    });
    const next = await other.claimed.claim({ nodeName: 'node-b', freeSlots: 1 });
    expect(next.plan?.task?.id).toBe(second.taskId);
    await finishEverything();
  });

  it('keeps the concurrency key from a second claim while the first claim of that key is still being made', async () => {
    const { release } = await projectWithRelease(sut, 'Key race');
    const environment = await environmentNamed(sut, 'Key race env');
    const older = await sut.deployments.create(alice, {
      releaseId: release.id,
      environmentId: environment.id,
    });
    const newer = await sut.deployments.create(alice, {
      releaseId: release.id,
      environmentId: environment.id,
    });
    // The newer task is being claimed, key included, but not committed: to every other connection
    // both tasks still look queued and the key free, so only the key's uniqueness can stop this one.
    const held = await claimHeldOpen(newer.taskId, 'node-a');
    const racing = raceAgainst(held, () => other.claimed.claim({ nodeName: 'node-b', freeSlots: 1 }));

    await expect(racing).resolves.toEqual({ plan: undefined });
    await expect(sut.tasks.get(alice, older.taskId)).resolves.toMatchObject({ state: 'Queued', claim: 0 });
    await expect(sut.tasks.get(alice, newer.taskId)).resolves.toMatchObject({
      state: 'Executing',
      nodeName: 'node-a',
    });
    await expect(
      db.dataSource.getRepository(TaskConcurrencyLockEntity).findBy({ taskId: older.taskId }),
    ).resolves.toEqual([]);
    await finishEverything();
  });

  it('counts a claim still being made against the node’s cap, so a concurrent claim of another task waits and stops', async () => {
    await heartbeat('capped', 1);
    const { release } = await projectWithRelease(sut, 'Cap race');
    const queued: string[] = [];
    for (const name of ['Cap race 1', 'Cap race 2']) {
      const environment = await environmentNamed(sut, name);
      queued.push(
        (await sut.deployments.create(alice, { releaseId: release.id, environmentId: environment.id }))
          .taskId,
      );
    }
    // The newer task is being claimed for the node; the concurrent claimer goes for the older one,
    // a different row, so only the node's lock (not the task row) can make it count the first.
    const held = await claimHeldOpen(queued[1], 'capped');
    const racing = raceAgainst(held, () => other.claimed.claim({ nodeName: 'capped', freeSlots: 1 }));

    await expect(racing).resolves.toEqual({ plan: undefined });
    await expect(
      db.dataSource.getRepository(ServerTaskEntity).findBy({ nodeName: 'capped', state: 'Executing' }),
    ).resolves.toEqual([expect.objectContaining({ id: queued[1] })]);
    await expect(sut.tasks.get(alice, queued[0])).resolves.toMatchObject({ state: 'Queued', claim: 0 });
    await finishEverything();
  });

  it('plans from the release snapshot, with variables scoped to the environment', async () => {
    const { project } = await projectWithRelease(sut, 'Planned');
    const test = await environmentNamed(sut, 'Planned test');
    await sut.variables.update(alice, {
      projectId: project.id,
      variables: [
        { name: 'Port', value: '80', environmentIds: [], isSensitive: false },
        { name: 'Port', value: '8080', environmentIds: [test.id], isSensitive: false },
        { name: 'Password', value: 's3cret', environmentIds: [], isSensitive: true },
      ],
    });
    await sut.processes.update(alice, {
      projectId: project.id,
      steps: [scriptStep('Step one'), scriptStep('Step two')],
      retryable: false,
    });
    const release = await sut.releases.create(alice, {
      projectId: project.id,
      version: '2.0.0',
      notes: '',
      packages: [],
    });
    // Edits after the release do not reach its deployments.
    await sut.processes.update(alice, {
      projectId: project.id,
      steps: [scriptStep('Changed later')],
      retryable: false,
    });
    await sut.variables.update(alice, { projectId: project.id, variables: [] });
    await sut.deployments.create(alice, { releaseId: release.id, environmentId: test.id });

    const plan = (await sut.claimed.claim({ nodeName: 'node-a', freeSlots: 1 })).plan;

    expect(plan).toMatchObject({
      projectName: 'Planned',
      projectSlug: 'planned',
      environmentName: 'Planned test',
      environmentSlug: 'planned-test',
      releaseVersion: '2.0.0',
      startAtStep: 0,
      packages: [],
    });
    expect(plan?.steps.map((step) => step.name)).toEqual(['Step one', 'Step two']);
    expect(plan?.variables).toEqual([
      { name: 'Port', value: '8080', environmentIds: [test.id], isSensitive: false },
      { name: 'Password', value: 's3cret', environmentIds: [], isSensitive: true },
    ]);
    await finishEverything();
  });

  it('cancels a queued task at once and an executing one through Cancelling', async () => {
    const { release } = await projectWithRelease(sut, 'Cancel');
    const a = await environmentNamed(sut, 'Cancel a');
    const b = await environmentNamed(sut, 'Cancel b');
    const running = await sut.deployments.create(alice, { releaseId: release.id, environmentId: a.id });
    const plan = (await sut.claimed.claim({ nodeName: 'node-a', freeSlots: 1 })).plan;
    const waiting = await sut.deployments.create(alice, { releaseId: release.id, environmentId: b.id });

    const canceled = await sut.tasks.cancel(alice, waiting.taskId);
    expect(canceled).toMatchObject({ state: 'Canceled' });
    expect(canceled.completedAt).not.toBe('');
    await expect(sut.claimed.claim({ nodeName: 'node-a', freeSlots: 1 })).resolves.toEqual({
      plan: undefined,
    });

    await expect(sut.tasks.cancel(alice, running.taskId)).resolves.toMatchObject({ state: 'Cancelling' });
    await expect(sut.tasks.cancel(alice, running.taskId)).resolves.toMatchObject({ state: 'Cancelling' });
    const claim = plan?.task?.claim ?? -1;
    await expect(sut.claimed.reportProgress({ taskId: running.taskId, claim, nextStep: 0 })).resolves.toEqual(
      { cancelRequested: true },
    );
    await sut.claimed.complete(executor, {
      taskId: running.taskId,
      claim,
      state: 'Canceled',
      errorMessage: 'Canceled by alice',
      nextStep: 0,
      logLinesLost: 0,
      logProblem: '',
    });

    await expect(rpcRefusal(sut.tasks.cancel(alice, running.taskId))).resolves.toMatchObject({
      code: status.FAILED_PRECONDITION,
    });
    await expect(
      rpcRefusal(sut.tasks.cancel(alice, '00000000-0000-0000-0000-000000000000')),
    ).resolves.toMatchObject({ code: status.NOT_FOUND });
    const audited = await db.dataSource.query<{ resource_id: string }[]>(
      "SELECT resource_id FROM orchestrator_audit_outbox WHERE action = 'task.cancel-requested'",
    );
    expect(audited.map((row) => row.resource_id).sort()).toEqual([running.taskId, waiting.taskId].sort());
  });

  it('lists tasks newest first with filters and paging', async () => {
    const { project, release } = await projectWithRelease(sut, 'Listing');
    const environment = await environmentNamed(sut, 'Listing env');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(
        (await sut.deployments.create(alice, { releaseId: release.id, environmentId: environment.id }))
          .taskId,
      );

    const page = await sut.tasks.list(alice, {
      state: '',
      projectId: project.id,
      environmentId: '',
      nodeName: '',
      skip: 1,
      take: 1,
    });
    expect(page.total).toBe(3);
    expect(page.items.map((task) => task.id)).toEqual([ids[1]]);
    await expect(
      rpcRefusal(
        sut.tasks.list(alice, {
          state: 'Running',
          projectId: '',
          environmentId: '',
          nodeName: '',
          skip: 0,
          take: 0,
        }),
      ),
    ).resolves.toMatchObject({ code: status.INVALID_ARGUMENT });
  });
});
