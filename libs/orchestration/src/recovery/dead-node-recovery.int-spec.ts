import { status } from '@grpc/grpc-js';
import { DataSource } from 'typeorm';

import { createDataSource } from '@flotilla/platform/persistence';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { OrchestrationEntities } from '../orchestration.entities';
import { OrchestrationMigrations } from '../orchestration.migrations';
import { alice, environmentNamed, executor, scriptStep } from '../testing/orchestration-fixtures';
import { createOrchestrationHarness, OrchestrationHarness } from '../testing/orchestration-harness';
import { rpcRefusal } from '../testing/rpc-expectations';
import { DeadNodeRecoveryService } from './dead-node-recovery.service';

describe(DeadNodeRecoveryService.name, () => {
  let db: MigratedTestDatabase;
  let secondReplica: DataSource;
  let sut: OrchestrationHarness;
  let other: OrchestrationHarness;
  let projects = 0;
  const queuedSignals: string[] = [];

  beforeAll(async () => {
    db = await createMigratedTestDatabase({
      entities: OrchestrationEntities,
      migrations: OrchestrationMigrations,
    });
    secondReplica = await createDataSource(
      { dialect: 'postgres', url: db.url },
      { entities: OrchestrationEntities, applicationName: 'replica-2' },
    ).initialize();
    const signals = {
      taskQueued: (id: string) => void queuedSignals.push(id),
      cancelRequested: () => undefined,
    };
    sut = createOrchestrationHarness(db.dataSource, { signals });
    other = createOrchestrationHarness(secondReplica, { signals });
  });
  afterAll(async () => {
    await secondReplica.destroy();
    await db.dispose();
  });
  beforeEach(async () => {
    await db.dataSource.query("UPDATE server_tasks SET state = 'Success' WHERE state <> 'Success'");
    await db.dataSource.query('DELETE FROM task_concurrency_locks');
    await db.dataSource.query('DELETE FROM cluster_nodes');
    for (const nodeName of ['node-a', 'node-b'])
      await sut.nodes.heartbeat({ nodeName, service: 'executor', version: '1.0.0', defaultTaskCap: 50 });
  });

  const makeOffline = (name: string) =>
    db.dataSource.query(
      "UPDATE cluster_nodes SET last_seen = CURRENT_TIMESTAMP - INTERVAL '1 minute' WHERE name = $1",
      [name],
    );

  /** Queues `count` deployments of a three-step process, each to its own environment. */
  async function queue(count: number, retryable: boolean): Promise<string[]> {
    const project = await sut.projects.create(alice, { name: `Recovery ${++projects}`, description: '' });
    const steps = [scriptStep('One'), scriptStep('Two'), scriptStep('Three')];
    await sut.processes.update(alice, { projectId: project.id, steps, retryable });
    const release = await sut.releases.create(alice, {
      projectId: project.id,
      version: '1.0.0',
      notes: '',
      packages: [],
    });
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const environment = await environmentNamed(sut, `Recovery ${projects}.${i}`);
      ids.push(
        (await sut.deployments.create(alice, { releaseId: release.id, environmentId: environment.id }))
          .taskId,
      );
    }
    return ids;
  }

  async function claimOn(harness: OrchestrationHarness, nodeName: string) {
    const plan = (await harness.claimed.claim({ nodeName, freeSlots: 1 })).plan;
    if (!plan?.task) throw new Error(`${nodeName} claimed nothing`);
    return { taskId: plan.task.id, claim: plan.task.claim, startAtStep: plan.startAtStep };
  }

  it('hands a released task to another node, which resumes at next_step with a higher claim', async () => {
    const [taskId] = await queue(1, false);
    const first = await claimOn(sut, 'node-a');
    await sut.claimed.reportProgress({ taskId: first.taskId, claim: first.claim, nextStep: 1 });
    queuedSignals.length = 0;

    const released = await sut.claimed.release(executor, {
      taskId: first.taskId,
      claim: first.claim,
      reason: 'node-a is shutting down',
      nextStep: 2,
    });

    expect(released).toMatchObject({
      id: taskId,
      state: 'Queued',
      nodeName: '',
      nextStep: 2,
      claim: first.claim,
    });
    expect(queuedSignals).toEqual([taskId]);
    const resumed = await claimOn(other, 'node-b');
    expect(resumed).toEqual({ taskId, claim: first.claim + 1, startAtStep: 2 });
    for (const late of [
      sut.claimed.reportProgress({ taskId, claim: first.claim, nextStep: 3 }),
      sut.claimed.complete(executor, {
        taskId,
        claim: first.claim,
        state: 'Success',
        errorMessage: '',
        nextStep: 3,
      }),
      sut.claimed.release(executor, { taskId, claim: first.claim, reason: 'again', nextStep: 3 }),
    ])
      await expect(rpcRefusal(late)).resolves.toMatchObject({ code: status.FAILED_PRECONDITION });
    await expect(
      db.dataSource.query(
        "SELECT details FROM orchestrator_audit_outbox WHERE action = 'task.released' AND resource_id = $1",
        [taskId],
      ),
    ).resolves.toHaveLength(1);
  });

  it('finishes a released task that was being canceled as Canceled, freeing its concurrency key', async () => {
    const [taskId] = await queue(1, true);
    const owned = await claimOn(sut, 'node-a');
    await sut.tasks.cancel(alice, taskId);

    await expect(
      sut.claimed.release(executor, { taskId, claim: owned.claim, reason: 'stopping', nextStep: 0 }),
    ).resolves.toMatchObject({ state: 'Canceled', errorMessage: 'Canceled (stopping)' });
    await expect(
      db.dataSource.query('SELECT 1 FROM task_concurrency_locks WHERE task_id = $1', [taskId]),
    ).resolves.toEqual([]);
  });

  it('fails a dead node’s task with the reason and frees its concurrency key', async () => {
    const [taskId] = await queue(1, false);
    const owned = await claimOn(sut, 'node-a');
    await makeOffline('node-a');
    const [{ last_seen: lastSeen }] = await db.dataSource.query<{ last_seen: Date }[]>(
      "SELECT last_seen FROM cluster_nodes WHERE name = 'node-a'",
    );

    await expect(sut.recovery.recoverOnce()).resolves.toEqual([
      {
        taskId,
        nodeName: 'node-a',
        outcome: 'Failed',
        reason: `node node-a stopped responding at ${lastSeen.toISOString()}`,
      },
    ]);

    const task = await sut.tasks.get(taskId);
    expect(task).toMatchObject({
      state: 'Failed',
      errorMessage: `node node-a stopped responding at ${lastSeen.toISOString()}`,
      claim: owned.claim,
    });
    expect(task.completedAt).not.toBe('');
    await expect(
      db.dataSource.query('SELECT 1 FROM task_concurrency_locks WHERE task_id = $1', [taskId]),
    ).resolves.toEqual([]);
    await expect(
      rpcRefusal(sut.claimed.reportProgress({ taskId, claim: owned.claim, nextStep: 1 })),
    ).resolves.toMatchObject({ code: status.FAILED_PRECONDITION });
    const [audit] = await db.dataSource.query<{ details: string }[]>(
      "SELECT details FROM orchestrator_audit_outbox WHERE action = 'task.recovered' AND resource_id = $1",
      [taskId],
    );
    expect(JSON.parse(audit?.details ?? '{}')).toMatchObject({
      nodeName: 'node-a',
      outcome: 'Failed',
      retryable: false,
    });
    await expect(sut.recovery.recoverOnce()).resolves.toEqual([]);
  });

  it('re-queues a retryable task of a dead node; another node resumes it and the dead node’s late writes are refused', async () => {
    const [taskId] = await queue(1, true);
    const owned = await claimOn(sut, 'node-a');
    await sut.claimed.reportProgress({ taskId, claim: owned.claim, nextStep: 1 });
    await makeOffline('node-a');
    queuedSignals.length = 0;

    await expect(sut.recovery.recoverOnce()).resolves.toMatchObject([{ taskId, outcome: 'Queued' }]);
    expect(queuedSignals).toEqual([taskId]);
    await expect(sut.tasks.get(taskId)).resolves.toMatchObject({
      state: 'Queued',
      nodeName: '',
      nextStep: 1,
      errorMessage: '',
    });

    const resumed = await claimOn(other, 'node-b');
    expect(resumed).toEqual({ taskId, claim: owned.claim + 1, startAtStep: 1 });
    await expect(
      rpcRefusal(
        sut.claimed.complete(executor, {
          taskId,
          claim: owned.claim,
          state: 'Failed',
          errorMessage: 'late',
          nextStep: 1,
        }),
      ),
    ).resolves.toMatchObject({ code: status.FAILED_PRECONDITION });
    await expect(
      other.claimed.reportProgress({ taskId, claim: resumed.claim, nextStep: 2 }),
    ).resolves.toEqual({
      cancelRequested: false,
    });
  });

  it('leaves the tasks of a live node alone', async () => {
    await queue(1, false);
    await claimOn(sut, 'node-a');

    await expect(sut.recovery.recoverOnce()).resolves.toEqual([]);
  });

  it('recovers each task once when two replicas run recovery at the same time', async () => {
    const failing = await queue(4, false);
    const retrying = await queue(4, true);
    for (let i = 0; i < 8; i++) await claimOn(sut, 'node-a');
    await makeOffline('node-a');

    const [mine, theirs] = await Promise.all([sut.recovery.recoverOnce(), other.recovery.recoverOnce()]);

    const recovered = [...mine, ...theirs];
    expect(recovered.map((task) => task.taskId).sort()).toEqual([...failing, ...retrying].sort());
    expect(
      recovered
        .filter((task) => task.outcome === 'Queued')
        .map((task) => task.taskId)
        .sort(),
    ).toEqual([...retrying].sort());
    const audited = await db.dataSource.query<{ resource_id: string }[]>(
      "SELECT resource_id FROM orchestrator_audit_outbox WHERE action = 'task.recovered'",
    );
    for (const taskId of [...failing, ...retrying])
      expect(audited.filter((row) => row.resource_id === taskId)).toHaveLength(1);
  });
});
