import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { status } from '@grpc/grpc-js';

import { AuditRecorder } from '@flotilla/audit/outbox';
import { TaskLogLevel } from '@flotilla/platform/storage';

import { alice, environmentNamed, executor, scriptStep } from '../testing/orchestration-fixtures';
import { createOrchestrationHarness, OrchestrationHarness } from '../testing/orchestration-harness';
import {
  createReplicatedOrchestrationDatabase,
  DATABASE_SETUP_TIMEOUT_MS,
  ReplicatedDatabase,
} from '../testing/replicated-database.test-support';
import { contractSql } from '../testing/contract-sql.test-support';
import { rpcRefusal } from '../testing/rpc-expectations';
import { ORCHESTRATOR_AUDIT_SOURCE } from '../shared/orchestrator-service';
import { Transactions } from '../shared/transactions';
import { TasksRepository } from '../tasks/tasks.repository';
import { DeadNodeRecoveryRepository } from './dead-node-recovery.repository';
import { DeadNodeRecoveryService } from './dead-node-recovery.service';
import { PROGRESS_GRACE_MS } from './dead-node-recovery.sql';
import { MAX_RECOVERIES } from './recovery-decision';
import { RecoveryTaskLog } from './recovery-task-log';

/** This run's database: the spec's own raw SQL is written for both. */
const { p, now, nowPlusMs, list } = contractSql();

/**
 * Claim, progress and hand-back as orchestrators that predate last_progress_at write them (the
 * claim's task-cap check left out): during a rolling upgrade they share the database with us.
 */
const PREDATING_SQL = {
  claim:
    `UPDATE server_tasks SET state = 'Executing', node_name = ${p(1)}, claim = claim + 1, started_at = ${now} ` +
    `WHERE id = ${p(2)} AND state = 'Queued'`,
  progress: `UPDATE server_tasks SET next_step = ${p(1)} WHERE id = ${p(2)} AND claim = ${p(3)} AND state IN ('Executing', 'Cancelling')`,
  release:
    `UPDATE server_tasks SET state = 'Queued', node_name = NULL, next_step = ${p(1)} ` +
    `WHERE id = ${p(2)} AND claim = ${p(3)} AND state = 'Executing'`,
};

describe(DeadNodeRecoveryService.name, () => {
  let db: ReplicatedDatabase;
  let sut: OrchestrationHarness;
  let other: OrchestrationHarness;
  /** A replica with a one-second heartbeat timeout, for the spec that lets real time pass. */
  let quick: OrchestrationHarness;
  let projects = 0;
  const queuedSignals: string[] = [];

  beforeAll(async () => {
    db = await createReplicatedOrchestrationDatabase();
    const signals = {
      taskQueued: (id: string) => void queuedSignals.push(id),
      cancelRequested: () => undefined,
    };
    sut = createOrchestrationHarness(db.dataSource, { signals });
    other = createOrchestrationHarness(db.secondReplica, { signals });
    quick = createOrchestrationHarness(db.dataSource, { signals, heartbeatTimeoutMs: 1000 });
  }, DATABASE_SETUP_TIMEOUT_MS);
  afterAll(() => db.dispose());
  beforeEach(async () => {
    await db.dataSource.query("UPDATE server_tasks SET state = 'Success' WHERE state <> 'Success'");
    await db.dataSource.query('DELETE FROM task_concurrency_locks');
    await db.dataSource.query('DELETE FROM cluster_nodes');
    for (const nodeName of ['node-a', 'node-b']) await beat(nodeName);
  });

  /** One of the node's services heartbeats (not necessarily its executor). */
  const beat = (nodeName: string) =>
    sut.nodes.heartbeat({
      nodeName,
      service: 'gateway',
      version: '1.0.0',
      defaultTaskCap: 50,
      stopping: false,
    });

  async function progressClock(taskId: string) {
    const [row] = await db.dataSource.query<
      { last_progress_at: Date | null; started_at: Date | null; recovery_count: number }[]
    >(`SELECT last_progress_at, started_at, recovery_count FROM server_tasks WHERE id = ${p(1)}`, [taskId]);
    return {
      lastProgressAt: row.last_progress_at,
      startedAt: row.started_at,
      recoveries: row.recovery_count,
    };
  }

  /** The task's executor went quiet a minute ago (claimed before that); its node keeps heartbeating. */
  async function silenceExecutor(taskId: string): Promise<Date> {
    await db.dataSource.query(
      `UPDATE server_tasks SET started_at = ${nowPlusMs(2)}, last_progress_at = ${nowPlusMs(3)} WHERE id = ${p(1)}`,
      [taskId, -120_000, -60_000],
    );
    const { lastProgressAt } = await progressClock(taskId);
    if (!lastProgressAt) throw new Error(`task ${taskId} has no progress clock`);
    return lastProgressAt;
  }

  const silentReason = (nodeName: string, lastProgressAt: Date) =>
    `the deployment executor on node ${nodeName} stopped reporting progress at ${lastProgressAt.toISOString()}`;

  async function auditedRecoveries(taskId: string) {
    const rows = await db.dataSource.query<{ details: string }[]>(
      `SELECT details FROM orchestrator_audit_outbox WHERE action = 'task.recovered' AND resource_id = ${p(1)}`,
      [taskId],
    );
    return rows.map((row) => JSON.parse(row.details) as Record<string, unknown>);
  }

  const makeOffline = (name: string) =>
    db.dataSource.query(`UPDATE cluster_nodes SET last_seen = ${nowPlusMs(2)} WHERE name = ${p(1)}`, [
      name,
      -60_000,
    ]);

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
        logLinesLost: 0,
        logProblem: '',
      }),
      sut.claimed.release(executor, { taskId, claim: first.claim, reason: 'again', nextStep: 3 }),
    ])
      await expect(rpcRefusal(late)).resolves.toMatchObject({ code: status.FAILED_PRECONDITION });
    await expect(
      db.dataSource.query(
        `SELECT details FROM orchestrator_audit_outbox WHERE action = 'task.released' AND resource_id = ${p(1)}`,
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
      db.dataSource.query(`SELECT 1 FROM task_concurrency_locks WHERE task_id = ${p(1)}`, [taskId]),
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

    const task = await sut.tasks.get(alice, taskId);
    expect(task).toMatchObject({
      state: 'Failed',
      errorMessage: `node node-a stopped responding at ${lastSeen.toISOString()}`,
      claim: owned.claim,
    });
    expect(task.completedAt).not.toBe('');
    await expect(
      db.dataSource.query(`SELECT 1 FROM task_concurrency_locks WHERE task_id = ${p(1)}`, [taskId]),
    ).resolves.toEqual([]);
    await expect(
      rpcRefusal(sut.claimed.reportProgress({ taskId, claim: owned.claim, nextStep: 1 })),
    ).resolves.toMatchObject({ code: status.FAILED_PRECONDITION });
    const [audit] = await db.dataSource.query<{ details: string }[]>(
      `SELECT details FROM orchestrator_audit_outbox WHERE action = 'task.recovered' AND resource_id = ${p(1)}`,
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
    await expect(sut.tasks.get(alice, taskId)).resolves.toMatchObject({
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
          logLinesLost: 0,
          logProblem: '',
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

  it('keeps a progress clock on database time: started by the claim, restarted by each accepted report, cleared by hand-back', async () => {
    const [taskId] = await queue(1, true);
    const owned = await claimOn(sut, 'node-a');
    const claimed = await progressClock(taskId);
    expect(claimed.lastProgressAt).toEqual(claimed.startedAt);
    expect(claimed.recoveries).toBe(0);

    await new Promise((resolve) => setTimeout(resolve, 20));
    await sut.claimed.reportProgress({ taskId, claim: owned.claim, nextStep: 1 });
    const reported = (await progressClock(taskId)).lastProgressAt;
    expect(reported?.getTime()).toBeGreaterThan(claimed.lastProgressAt?.getTime() ?? Infinity);

    await sut.claimed.release(executor, { taskId, claim: owned.claim, reason: 'draining', nextStep: 1 });
    await expect(progressClock(taskId)).resolves.toMatchObject({ lastProgressAt: null, recoveries: 0 });
    await expect(
      rpcRefusal(sut.claimed.reportProgress({ taskId, claim: owned.claim, nextStep: 1 })),
    ).resolves.toMatchObject({ code: status.FAILED_PRECONDITION });
    await expect(progressClock(taskId)).resolves.toMatchObject({ lastProgressAt: null });
  });

  it('recovers the task of an executor that stopped reporting while its node keeps heartbeating, not one that reports', async () => {
    const [silent, reporting] = await queue(2, false);
    // Under a one-second timeout the node must have just beaten to claim (queueing can take longer).
    await beat('node-a');
    const silentClaim = await claimOn(quick, 'node-a');
    await beat('node-a');
    const reportingClaim = await claimOn(quick, 'node-a');
    expect([silentClaim.taskId, reportingClaim.taskId]).toEqual([silent, reporting]);

    // Real time passes: the node's other services beat and one task's executor reports, every 200 ms,
    // past the one-second timeout plus the grace the node gets before its executor is blamed.
    const until = Date.now() + 1000 + PROGRESS_GRACE_MS + 500;
    while (Date.now() < until) {
      await beat('node-a');
      await quick.claimed.reportProgress({ taskId: reporting, claim: reportingClaim.claim, nextStep: 1 });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const { lastProgressAt } = await progressClock(silent);
    if (!lastProgressAt) throw new Error('the claim set no progress clock');

    await expect(quick.recovery.recoverOnce()).resolves.toEqual([
      {
        taskId: silent,
        nodeName: 'node-a',
        outcome: 'Failed',
        reason: silentReason('node-a', lastProgressAt),
      },
    ]);
    await expect(quick.tasks.get(alice, silent)).resolves.toMatchObject({
      state: 'Failed',
      errorMessage: silentReason('node-a', lastProgressAt),
      nodeName: 'node-a',
    });
    await expect(quick.tasks.get(alice, reporting)).resolves.toMatchObject({
      state: 'Executing',
      nodeName: 'node-a',
    });
    await expect(
      rpcRefusal(quick.claimed.reportProgress({ taskId: silent, claim: silentClaim.claim, nextStep: 1 })),
    ).resolves.toMatchObject({ code: status.FAILED_PRECONDITION });
    await expect(auditedRecoveries(silent)).resolves.toEqual([
      expect.objectContaining({
        cause: 'progress-stopped',
        lastProgressAt: lastProgressAt.toISOString(),
        outcome: 'Failed',
      }),
    ]);
  });

  it('re-queues a retryable task of a silent executor for another node, refusing the silent one’s late writes', async () => {
    const [taskId] = await queue(1, true);
    const owned = await claimOn(sut, 'node-a');
    await sut.claimed.reportProgress({ taskId, claim: owned.claim, nextStep: 2 });
    const lastProgressAt = await silenceExecutor(taskId);
    queuedSignals.length = 0;

    await expect(sut.recovery.recoverOnce()).resolves.toEqual([
      {
        taskId,
        nodeName: 'node-a',
        outcome: 'Queued',
        reason: `${silentReason('node-a', lastProgressAt)}; re-queued to resume at step 3 (recovery 1 of 3)`,
      },
    ]);
    expect(queuedSignals).toEqual([taskId]);
    await expect(progressClock(taskId)).resolves.toMatchObject({ lastProgressAt: null, recoveries: 1 });
    const resumed = await claimOn(other, 'node-b');
    expect(resumed).toEqual({ taskId, claim: owned.claim + 1, startAtStep: 2 });
    await expect(
      rpcRefusal(sut.claimed.reportProgress({ taskId, claim: owned.claim, nextStep: 3 })),
    ).resolves.toMatchObject({ code: status.FAILED_PRECONDITION });
    await expect(sut.recovery.recoverOnce()).resolves.toEqual([]);
  });

  it('leaves a task without a progress clock (claimed by an orchestrator that predates it) to node liveness', async () => {
    const [taskId] = await queue(1, false);
    await db.dataSource.query(PREDATING_SQL.claim, ['node-a', taskId]);
    await db.dataSource.query(PREDATING_SQL.progress, [1, taskId, 1]);
    await db.dataSource.query(`UPDATE server_tasks SET started_at = ${nowPlusMs(2)} WHERE id = ${p(1)}`, [
      taskId,
      -600_000,
    ]);
    await expect(progressClock(taskId)).resolves.toMatchObject({ lastProgressAt: null });

    await expect(sut.recovery.recoverOnce()).resolves.toEqual([]);

    await makeOffline('node-a');
    const recovered = await sut.recovery.recoverOnce();
    expect(recovered).toMatchObject([{ taskId, outcome: 'Failed' }]);
    expect(recovered[0]?.reason).toMatch(/^node node-a stopped responding at /);
  });

  it('ignores a progress clock left from an earlier ownership when an older orchestrator made the current claim', async () => {
    const [taskId] = await queue(1, true);
    const first = await claimOn(sut, 'node-a');
    await silenceExecutor(taskId);
    // Handed back and claimed again through orchestrators that neither clear nor start the clock.
    await db.dataSource.query(PREDATING_SQL.release, [0, taskId, first.claim]);
    await db.dataSource.query(`DELETE FROM task_concurrency_locks WHERE task_id = ${p(1)}`, [taskId]);
    await db.dataSource.query(PREDATING_SQL.claim, ['node-b', taskId]);
    const clock = await progressClock(taskId);
    expect(clock.lastProgressAt?.getTime()).toBeLessThan(clock.startedAt?.getTime() ?? -Infinity);

    await expect(sut.recovery.recoverOnce()).resolves.toEqual([]);
  });

  it('blames a node that died just after its executor’s last report on the node, not on its executor', async () => {
    const [taskId] = await queue(1, false);
    await claimOn(sut, 'node-a');
    // The last report is past the timeout; the node's last heartbeat came 1.5 s after it (less
    // than the grace), so this is a node dying, not an executor going quiet on a live node.
    const lastHeard = async (progressAgoMs: number, nodeAgoMs: number) => {
      await db.dataSource.query(
        `UPDATE server_tasks SET started_at = ${nowPlusMs(2)}, last_progress_at = ${nowPlusMs(3)} WHERE id = ${p(1)}`,
        [taskId, -120_000, -progressAgoMs],
      );
      await db.dataSource.query(
        `UPDATE cluster_nodes SET last_seen = ${nowPlusMs(1)} WHERE name = 'node-a'`,
        [-nodeAgoMs],
      );
    };
    await lastHeard(31_000, 29_500);

    await expect(sut.recovery.recoverOnce()).resolves.toEqual([]);

    await lastHeard(32_000, 30_500);
    const [{ last_seen: lastSeen }] = await db.dataSource.query<{ last_seen: Date }[]>(
      "SELECT last_seen FROM cluster_nodes WHERE name = 'node-a'",
    );
    await expect(sut.recovery.recoverOnce()).resolves.toMatchObject([
      { taskId, outcome: 'Failed', reason: `node node-a stopped responding at ${lastSeen.toISOString()}` },
    ]);
  });

  it('does not recover a silent executor’s task once it reports again between the read and the write', async () => {
    const [taskId] = await queue(1, true);
    const owned = await claimOn(sut, 'node-a');
    await silenceExecutor(taskId);
    const repository = new DeadNodeRecoveryRepository(new Transactions(db.dataSource));
    const [found] = await repository.findOrphaned(30_000, 10);
    expect(found).toMatchObject({ id: taskId, cause: 'progress-stopped', recoveries: 0 });

    await sut.claimed.reportProgress({ taskId, claim: owned.claim, nextStep: 1 });

    await expect(
      db.dataSource.transaction((manager) => repository.requeue(manager, found, 30_000)),
    ).resolves.toBe(false);
    await expect(
      db.dataSource.transaction((manager) =>
        repository.finish(manager, found, { state: 'Failed', errorMessage: 'too late' }, 'too late', 30_000),
      ),
    ).resolves.toBeUndefined();
    await expect(sut.tasks.get(alice, taskId)).resolves.toMatchObject({
      state: 'Executing',
      nodeName: 'node-a',
    });
  });

  it('finishes as Canceled, with the plain reason, a task whose cancel lands between the read and a Success write', async () => {
    const [taskId] = await queue(1, false);
    const owned = await claimOn(sut, 'node-a');
    await sut.claimed.reportProgress({ taskId, claim: owned.claim, nextStep: 3 });
    await makeOffline('node-a');
    const repository = new DeadNodeRecoveryRepository(new Transactions(db.dataSource));
    const [found] = await repository.findOrphaned(30_000, 10);
    expect(found).toMatchObject({ id: taskId, state: 'Executing', nextStep: 3, stepCount: 3 });

    await sut.tasks.cancel(alice, taskId);

    await expect(
      db.dataSource.transaction((manager) =>
        repository.finish(
          manager,
          found,
          { state: 'Success', errorMessage: 'all done' },
          'node gone',
          30_000,
        ),
      ),
    ).resolves.toBe('Canceled');
    await expect(sut.tasks.get(alice, taskId)).resolves.toMatchObject({
      state: 'Canceled',
      errorMessage: 'node gone',
    });
  });

  it(`fails a retryable task instead of re-queuing it after ${MAX_RECOVERIES} recoveries`, async () => {
    const [taskId] = await queue(1, true);
    for (let recovery = 1; recovery <= MAX_RECOVERIES; recovery++) {
      await beat('node-a');
      await claimOn(sut, 'node-a');
      await makeOffline('node-a');
      const recovered = await sut.recovery.recoverOnce();
      expect(recovered).toMatchObject([{ taskId, outcome: 'Queued' }]);
      expect(recovered[0]?.reason).toMatch(new RegExp(`\\(recovery ${recovery} of 3\\)$`));
      await expect(progressClock(taskId)).resolves.toMatchObject({ recoveries: recovery });
    }
    await beat('node-a');
    const last = await claimOn(sut, 'node-a');
    // This time the node lives on and only its executor goes quiet: the limit counts every cause.
    const lastProgressAt = await silenceExecutor(taskId);
    queuedSignals.length = 0;

    const reason = `${silentReason('node-a', lastProgressAt)}; not re-queued again after 3 recoveries`;
    await expect(sut.recovery.recoverOnce()).resolves.toEqual([
      { taskId, nodeName: 'node-a', outcome: 'Failed', reason },
    ]);
    expect(queuedSignals).toEqual([]);
    await expect(sut.tasks.get(alice, taskId)).resolves.toMatchObject({
      state: 'Failed',
      errorMessage: reason,
      claim: last.claim,
    });
    await expect(progressClock(taskId)).resolves.toMatchObject({ recoveries: MAX_RECOVERIES });
    await expect(
      db.dataSource.query(`SELECT 1 FROM task_concurrency_locks WHERE task_id = ${p(1)}`, [taskId]),
    ).resolves.toEqual([]);
    const audited = await auditedRecoveries(taskId);
    expect(audited.map((details) => [details['outcome'], details['recoveries']])).toEqual([
      ['Queued', 1],
      ['Queued', 2],
      ['Queued', 3],
      ['Failed', 3],
    ]);
  });

  it('recovers each task of dead nodes and silent executors once when two replicas run recovery at the same time', async () => {
    const deadFailing = await queue(2, false);
    const deadRetrying = await queue(2, true);
    const silentFailing = await queue(2, false);
    const silentRetrying = await queue(2, true);
    const exhausted = await queue(1, true);
    const [reporting] = await queue(1, true);
    const onA: string[] = [];
    const onB: string[] = [];
    for (let i = 0; i < 4; i++) onA.push((await claimOn(sut, 'node-a')).taskId);
    for (let i = 0; i < 6; i++) onB.push((await claimOn(sut, 'node-b')).taskId);
    expect(onA).toEqual([...deadFailing, ...deadRetrying]);
    expect(onB).toEqual([...silentFailing, ...silentRetrying, ...exhausted, reporting]);
    await makeOffline('node-a');
    for (const taskId of [...silentFailing, ...silentRetrying, ...exhausted]) await silenceExecutor(taskId);
    await db.dataSource.query(`UPDATE server_tasks SET recovery_count = ${p(1)} WHERE id = ${p(2)}`, [
      MAX_RECOVERIES,
      exhausted[0],
    ]);

    const [mine, theirs] = await Promise.all([sut.recovery.recoverOnce(), other.recovery.recoverOnce()]);

    const recovered = [...mine, ...theirs];
    const ids = (outcome?: string) =>
      recovered
        .filter((task) => outcome === undefined || task.outcome === outcome)
        .map((task) => task.taskId)
        .sort();
    expect(ids()).toEqual([...onA, ...silentFailing, ...silentRetrying, ...exhausted].sort());
    expect(ids('Queued')).toEqual([...deadRetrying, ...silentRetrying].sort());
    for (const task of recovered)
      expect(task.reason).toMatch(
        onA.includes(task.taskId)
          ? /^node node-a stopped responding at /
          : /^the deployment executor on node node-b stopped reporting progress at /,
      );
    for (const taskId of [...onA, ...silentFailing, ...silentRetrying, ...exhausted])
      await expect(auditedRecoveries(taskId)).resolves.toHaveLength(1);
    for (const taskId of [...deadRetrying, ...silentRetrying])
      await expect(progressClock(taskId)).resolves.toMatchObject({ recoveries: 1 });
    const exhaustedTask = await sut.tasks.get(alice, exhausted[0]);
    expect(exhaustedTask.state).toBe('Failed');
    expect(exhaustedTask.errorMessage).toMatch(/; not re-queued again after 3 recoveries$/);
    await expect(sut.tasks.get(alice, reporting)).resolves.toMatchObject({
      state: 'Executing',
      nodeName: 'node-b',
    });
  });

  describe('the reason in the task’s log', () => {
    let sharedStorage: string;
    /** What other connections saw of the task (and of wake-ups sent) as recovery appended its record. */
    let seenAtAppend: { taskId: string; state: string; signalsSent: number }[];

    /** The real RecoveryTaskLog, noting the task's committed state the moment it appends. */
    class StateNotingTaskLog extends RecoveryTaskLog {
      override async append(taskId: string, level: TaskLogLevel, message: string): Promise<void> {
        const [row] = await db.secondReplica.query<{ state: string }[]>(
          `SELECT state FROM server_tasks WHERE id = ${p(1)}`,
          [taskId],
        );
        seenAtAppend.push({ taskId, state: row?.state ?? 'missing', signalsSent: queuedSignals.length });
        return super.append(taskId, level, message);
      }
    }

    /** A replica whose recovery writes task logs under `root`. */
    function recoveryWritingLogsTo(root: string) {
      const transactions = new Transactions(db.dataSource);
      return new DeadNodeRecoveryService(
        transactions,
        new DeadNodeRecoveryRepository(transactions),
        new TasksRepository(transactions),
        { taskQueued: (id) => void queuedSignals.push(id), cancelRequested: () => undefined },
        new AuditRecorder(ORCHESTRATOR_AUDIT_SOURCE),
        { heartbeatTimeoutMs: 30_000 },
        new StateNotingTaskLog({ sharedStorage: root }),
      );
    }

    const logPath = (taskId: string) => join(sharedStorage, 'TaskLogs', `${taskId}.log`);
    const EXECUTOR_LINE =
      '{"timestamp":"2030-01-01T00:00:00.000Z","level":"Info","message":"Step Run completed"}\n';
    const records = (taskId: string) =>
      readFileSync(logPath(taskId), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, string>);
    const lastSeenOf = async (name: string) =>
      (
        await db.dataSource.query<{ last_seen: Date }[]>(
          `SELECT last_seen FROM cluster_nodes WHERE name = ${p(1)}`,
          [name],
        )
      )[0]?.last_seen.toISOString();

    beforeEach(() => {
      sharedStorage = mkdtempSync(join(tmpdir(), 'recovery-int-'));
      mkdirSync(join(sharedStorage, 'TaskLogs'));
      seenAtAppend = [];
    });
    afterEach(() => rmSync(sharedStorage, { recursive: true, force: true }));

    it('appends an Error record saying why, after the task failed, behind what its executor wrote', async () => {
      const [taskId] = await queue(1, false);
      await claimOn(sut, 'node-a');
      writeFileSync(logPath(taskId), EXECUTOR_LINE);
      await makeOffline('node-a');
      const lastSeen = await lastSeenOf('node-a');
      queuedSignals.length = 0;

      await expect(recoveryWritingLogsTo(sharedStorage).recoverOnce()).resolves.toMatchObject([
        { taskId, outcome: 'Failed' },
      ]);

      expect(seenAtAppend).toEqual([{ taskId, state: 'Failed', signalsSent: 0 }]);
      expect(readFileSync(logPath(taskId), 'utf8').startsWith(EXECUTOR_LINE)).toBe(true);
      expect(records(taskId)).toEqual([
        expect.objectContaining({ message: 'Step Run completed' }),
        {
          timestamp: expect.stringMatching(/Z$/) as string,
          level: 'Error',
          message: `Recovery: node node-a stopped responding at ${lastSeen}; the task failed.`,
        },
      ]);
    });

    it('appends a Warning record saying why and where it resumes, after the task was re-queued and before the wake-up', async () => {
      const [taskId] = await queue(1, true);
      const owned = await claimOn(sut, 'node-a');
      await sut.claimed.reportProgress({ taskId, claim: owned.claim, nextStep: 1 });
      await makeOffline('node-a');
      const lastSeen = await lastSeenOf('node-a');
      queuedSignals.length = 0;

      await expect(recoveryWritingLogsTo(sharedStorage).recoverOnce()).resolves.toMatchObject([
        { taskId, outcome: 'Queued' },
      ]);

      expect(seenAtAppend).toEqual([{ taskId, state: 'Queued', signalsSent: 0 }]);
      expect(queuedSignals).toEqual([taskId]);
      expect(records(taskId)).toEqual([
        {
          timestamp: expect.stringMatching(/Z$/) as string,
          level: 'Warning',
          message: `Recovery: node node-a stopped responding at ${lastSeen}; re-queued to resume at step 2 (recovery 1 of 3)`,
        },
      ]);
    });

    it('finishes as Success, one-shot or retryable, a task whose every step was recorded, saying so with a Warning record; one with a step left is recovered as before', async () => {
      const [oneShot, stepLeft] = await queue(2, false);
      const [retryable] = await queue(1, true);
      const claims = new Map<string, number>();
      for (let i = 0; i < 3; i++) {
        const owned = await claimOn(sut, 'node-a');
        claims.set(owned.taskId, owned.claim);
      }
      // Every step acknowledged, then the node died with the completion: next_step == 3 steps.
      for (const taskId of [oneShot, retryable])
        await sut.claimed.reportProgress({ taskId, claim: claims.get(taskId) ?? 0, nextStep: 3 });
      await sut.claimed.reportProgress({ taskId: stepLeft, claim: claims.get(stepLeft) ?? 0, nextStep: 2 });
      for (const taskId of [oneShot, retryable, stepLeft]) writeFileSync(logPath(taskId), EXECUTOR_LINE);
      await makeOffline('node-a');
      const lastSeen = await lastSeenOf('node-a');
      const note =
        `node node-a stopped responding at ${lastSeen} after all 3 step(s) had completed; ` +
        'its completion was lost with the node, so the task is recorded as Success';
      queuedSignals.length = 0;

      const recovered = await recoveryWritingLogsTo(sharedStorage).recoverOnce();

      expect(recovered.map(({ taskId, outcome, reason }) => ({ taskId, outcome, reason }))).toEqual(
        expect.arrayContaining([
          { taskId: oneShot, outcome: 'Success', reason: note },
          { taskId: retryable, outcome: 'Success', reason: note },
          { taskId: stepLeft, outcome: 'Failed', reason: `node node-a stopped responding at ${lastSeen}` },
        ]),
      );
      expect(recovered).toHaveLength(3);
      // Nothing re-queued: no other node is woken to run nothing.
      expect(queuedSignals).toEqual([]);
      for (const taskId of [oneShot, retryable]) {
        const task = await sut.tasks.get(alice, taskId);
        expect(task).toMatchObject({
          state: 'Success',
          errorMessage: note,
          hasWarningsOrErrors: true,
          nodeName: 'node-a',
          nextStep: 3,
          claim: claims.get(taskId),
        });
        expect(task.completedAt).not.toBe('');
        await expect(progressClock(taskId)).resolves.toMatchObject({ recoveries: 0 });
        await expect(auditedRecoveries(taskId)).resolves.toEqual([
          expect.objectContaining({ outcome: 'Success', reason: note, nextStep: 3, recoveries: 0 }),
        ]);
        expect(records(taskId)).toEqual([
          expect.objectContaining({ message: 'Step Run completed' }),
          {
            timestamp: expect.stringMatching(/Z$/) as string,
            level: 'Warning',
            message: `Recovery: ${note}.`,
          },
        ]);
        await expect(
          rpcRefusal(
            sut.claimed.complete(executor, {
              taskId,
              claim: claims.get(taskId) ?? 0,
              state: 'Success',
              errorMessage: '',
              nextStep: 3,
              logLinesLost: 0,
              logProblem: '',
            }),
          ),
        ).resolves.toMatchObject({ code: status.FAILED_PRECONDITION });
      }
      await expect(sut.tasks.get(alice, stepLeft)).resolves.toMatchObject({
        state: 'Failed',
        errorMessage: `node node-a stopped responding at ${lastSeen}`,
      });
      expect(records(stepLeft).at(-1)).toMatchObject({
        level: 'Error',
        message: `Recovery: node node-a stopped responding at ${lastSeen}; the task failed.`,
      });
      expect(seenAtAppend.map(({ taskId, state }) => [taskId, state]).sort()).toEqual(
        [
          [oneShot, 'Success'],
          [retryable, 'Success'],
          [stepLeft, 'Failed'],
        ].sort(),
      );
      await expect(
        db.dataSource.query(`SELECT 1 FROM task_concurrency_locks WHERE task_id IN ${list(1, 3)}`, [
          oneShot,
          retryable,
          stepLeft,
        ]),
      ).resolves.toEqual([]);
    });

    it('recovers the task all the same when its log cannot be written', async () => {
      const [taskId] = await queue(1, false);
      await claimOn(sut, 'node-a');
      await makeOffline('node-a');

      await expect(
        recoveryWritingLogsTo(join(sharedStorage, 'not-mounted')).recoverOnce(),
      ).resolves.toMatchObject([{ taskId, outcome: 'Failed' }]);
      await expect(sut.tasks.get(alice, taskId)).resolves.toMatchObject({ state: 'Failed' });
    });
  });
});
