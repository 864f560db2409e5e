import { status } from '@grpc/grpc-js';

import { dialectSql } from '@flotilla/platform/persistence';

import { ServerTaskEntity } from '../tasks/server-task.entity';
import { alice, environmentNamed, projectWithRelease } from '../testing/orchestration-fixtures';
import { createOrchestrationHarness, OrchestrationHarness } from '../testing/orchestration-harness';
import {
  createReplicatedOrchestrationDatabase,
  ReplicatedDatabase,
} from '../testing/replicated-database.test-support';
import { rpcRefusal } from '../testing/rpc-expectations';
import { NodesService } from './nodes.service';

describe(NodesService.name, () => {
  let db: ReplicatedDatabase;
  let sut: OrchestrationHarness;
  let queued = 0;

  beforeAll(async () => {
    db = await createReplicatedOrchestrationDatabase();
    sut = createOrchestrationHarness(db.dataSource);
  });
  afterAll(() => db.dispose());
  beforeEach(async () => {
    await db.dataSource.query("UPDATE server_tasks SET state = 'Success' WHERE state <> 'Success'");
    await db.dataSource.query('DELETE FROM task_concurrency_locks');
    await db.dataSource.query('DELETE FROM cluster_nodes');
  });

  const heartbeat = (
    harness: OrchestrationHarness,
    nodeName: string,
    defaultTaskCap = 5,
    service = 'executor',
  ) => harness.nodes.heartbeat({ nodeName, service, version: '1.0.0', defaultTaskCap, stopping: false });
  const claim = (harness: OrchestrationHarness, nodeName: string) =>
    harness.claimed.claim({ nodeName, freeSlots: 10 }).then((reply) => reply.plan?.task?.id);
  /** Puts a node's last heartbeat a minute back by the database clock, past the offline timeout. */
  const makeOffline = (name: string) => {
    const sql = dialectSql(db.dialect);
    return db.dataSource.query(
      `UPDATE cluster_nodes SET last_seen = ${sql.nowPlusMs(sql.param(2))} WHERE name = ${sql.param(1)}`,
      [name, -60_000],
    );
  };

  /** Queues deployments that may all run at once (one environment each). */
  async function queueTasks(count: number): Promise<string[]> {
    const { release } = await projectWithRelease(sut, `Nodes ${++queued}`);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const environment = await environmentNamed(sut, `Nodes ${queued}.${i}`);
      ids.push(
        (await sut.deployments.create(alice, { releaseId: release.id, environmentId: environment.id }))
          .taskId,
      );
    }
    return ids;
  }

  it('registers a node once, merging its services and keeping its first registration and task cap', async () => {
    const first = await heartbeat(sut, 'node-1', 3, 'executor');
    await makeOffline('node-1');
    const again = await heartbeat(sut, 'node-1', 8, 'gateway');

    expect(again).toMatchObject({
      state: 'Running',
      taskCap: 3,
      services: ['executor', 'gateway'],
      startedAt: first.startedAt,
    });
    expect(Date.parse(again.lastSeen)).toBeGreaterThan(Date.parse(first.lastSeen));
  });

  it('merges the services of concurrent heartbeats of one node from two replicas, losing none', async () => {
    const other = createOrchestrationHarness(db.secondReplica);
    await heartbeat(sut, 'busy', 5, 'executor');
    const services = ['gateway', 'orchestrator', 'artifacts', 'audit', 'auth', 'portal'];

    // Each heartbeat reads the node's services and writes them back with its own: without the
    // row lock, two at once would each write a set missing the other's service.
    await Promise.all(services.map((service, i) => heartbeat(i % 2 === 0 ? sut : other, 'busy', 5, service)));

    await expect(sut.nodes.get({ name: 'busy' })).resolves.toMatchObject({
      services: ['executor', ...services].sort(),
    });
  });

  it('puts the third of three heartbeating nodes over a licence limit of 2, and it claims nothing', async () => {
    const licensed = createOrchestrationHarness(db.dataSource, {
      licence: { nodeLimit: 2, label: 'licence for Acme' },
    });
    await heartbeat(licensed, 'node-1');
    await heartbeat(licensed, 'node-2');
    const third = await heartbeat(licensed, 'node-3');
    const tasks = await queueTasks(3);

    expect(third).toMatchObject({
      overLicenceLimit: true,
      statusMessage: 'Node limit of 2 reached (licence for Acme): this node runs no tasks',
    });
    await expect(claim(licensed, 'node-3')).resolves.toBeUndefined();
    await expect(claim(licensed, 'node-1')).resolves.toBe(tasks[0]);
    await expect(claim(licensed, 'node-2')).resolves.toBe(tasks[1]);

    // When an earlier node dies, the third moves within the limit.
    await makeOffline('node-1');
    await expect(licensed.nodes.get({ name: 'node-3' })).resolves.toMatchObject({ overLicenceLimit: false });
    await expect(claim(licensed, 'node-3')).resolves.toBe(tasks[2]);
  });

  it('lets only the first node take tasks without a licence', async () => {
    const unlicensed = createOrchestrationHarness(db.dataSource, {
      licence: { nodeLimit: 1, label: 'no licence' },
    });
    await heartbeat(unlicensed, 'first');
    await heartbeat(unlicensed, 'second');
    const [task] = await queueTasks(2);

    await expect(claim(unlicensed, 'second')).resolves.toBeUndefined();
    await expect(unlicensed.nodes.list()).resolves.toMatchObject({
      items: [
        { name: 'first', overLicenceLimit: false },
        {
          name: 'second',
          overLicenceLimit: true,
          statusMessage: expect.stringContaining('(no licence)') as string,
        },
      ],
    });
    await expect(claim(unlicensed, 'first')).resolves.toBe(task);
  });

  it('claims nothing for an unknown, offline, draining or full node', async () => {
    await queueTasks(2);
    await heartbeat(sut, 'draining');
    await sut.nodes.update(alice, { name: 'draining', isDraining: true });
    await heartbeat(sut, 'dead');
    await makeOffline('dead');
    await heartbeat(sut, 'small', 1);

    await expect(claim(sut, 'never-registered')).resolves.toBeUndefined();
    await expect(claim(sut, 'dead')).resolves.toBeUndefined();
    await expect(claim(sut, 'draining')).resolves.toBeUndefined();
    await expect(claim(sut, 'small')).resolves.toBeDefined();
    await expect(claim(sut, 'small')).resolves.toBeUndefined();
    const owners = await db.dataSource.getRepository(ServerTaskEntity).findBy({ state: 'Executing' });
    expect(owners.map((task) => task.nodeName)).toEqual(['small']);
  });

  it('shows a node whose executor is stopping as Draining until the executor starts again', async () => {
    const beat = (service: string, stopping: boolean) =>
      sut.nodes.heartbeat({ nodeName: 'node-s', service, version: '1.0.0', defaultTaskCap: 5, stopping });
    await beat('deployment-executor', false);
    await queueTasks(1);

    const stopping = await beat('deployment-executor', true);
    expect(stopping).toMatchObject({ state: 'Draining', isDraining: false });
    expect(stopping.statusMessage).toMatch(/^Stopping: /);
    // The other services of the node cannot say; their heartbeats leave the mark alone.
    expect(await beat('gateway', false)).toMatchObject({ state: 'Draining' });
    expect(await claim(sut, 'node-s')).toBeUndefined();

    // Started again: the executor's first heartbeat clears it and the node takes tasks.
    expect(await beat('deployment-executor', false)).toMatchObject({ state: 'Running' });
    expect(await claim(sut, 'node-s')).toEqual(expect.any(String));
  });

  it('never lets concurrent claimers on two replicas exceed one node’s cap', async () => {
    const other = createOrchestrationHarness(db.secondReplica);
    await heartbeat(sut, 'capped', 3);
    await queueTasks(10);

    // The executor asks for more than the cap: the server holds the line.
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 === 0 ? sut : other).claimed.claim({ nodeName: 'capped', freeSlots: 10 }),
      ),
    );

    expect(claims.filter((reply) => reply.plan).length).toBe(3);
    await expect(
      db.dataSource.getRepository(ServerTaskEntity).countBy({ nodeName: 'capped', state: 'Executing' }),
    ).resolves.toBe(3);
  });

  it('changes task cap and drain flag, refusing bad values and unknown nodes, and audits the change', async () => {
    await heartbeat(sut, 'node-1');

    await expect(
      sut.nodes.update(alice, { name: 'node-1', taskCap: 2, isDraining: true }),
    ).resolves.toMatchObject({
      taskCap: 2,
      isDraining: true,
      state: 'Draining',
    });
    await expect(rpcRefusal(sut.nodes.update(alice, { name: 'node-1', taskCap: -1 }))).resolves.toMatchObject(
      {
        code: status.INVALID_ARGUMENT,
      },
    );
    await expect(
      rpcRefusal(sut.nodes.update(alice, { name: 'ghost', isDraining: true })),
    ).resolves.toMatchObject({
      code: status.NOT_FOUND,
    });
    await expect(rpcRefusal(sut.nodes.get({ name: 'ghost' }))).resolves.toMatchObject({
      code: status.NOT_FOUND,
    });
    const audited = await db.dataSource.query<{ details: string }[]>(
      "SELECT details FROM orchestrator_audit_outbox WHERE action = 'node.modified' AND resource_id = 'node-1'",
    );
    expect(audited.map((row) => JSON.parse(row.details) as unknown)).toContainEqual({
      changes: { taskCap: 2, isDraining: true },
      before: { taskCap: 5, isDraining: false },
    });
  });

  it('removes only an Offline node', async () => {
    await heartbeat(sut, 'live');
    await heartbeat(sut, 'dead');
    await makeOffline('dead');

    await expect(rpcRefusal(sut.nodes.remove(alice, { name: 'live' }))).resolves.toMatchObject({
      code: status.FAILED_PRECONDITION,
      message: expect.stringContaining('node live is not Offline') as string,
    });
    await expect(sut.nodes.remove(alice, { name: 'dead' })).resolves.toEqual({});
    await expect(rpcRefusal(sut.nodes.remove(alice, { name: 'dead' }))).resolves.toMatchObject({
      code: status.NOT_FOUND,
    });
    await expect(sut.nodes.list()).resolves.toMatchObject({ items: [{ name: 'live' }] });
    await expect(
      db.dataSource.query(
        "SELECT 1 FROM orchestrator_audit_outbox WHERE action = 'node.removed' AND resource_id = 'dead'",
      ),
    ).resolves.toHaveLength(1);
  });
});
