import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import type { orchestratorV1 } from '@flotilla/contracts';
import { dialectSql } from '@flotilla/platform/persistence';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { OrchestrationEntities } from './orchestration.entities';
import { OrchestrationMigrations } from './orchestration.migrations';
import { ProjectsService } from './projects/projects.service';
import type { PackageCatalog } from './releases/package-catalog';
import { alice, environmentNamed, projectWithRelease, scriptStep } from './testing/orchestration-fixtures';
import { createOrchestrationHarness, OrchestrationHarness } from './testing/orchestration-harness';
import { rpcRefusal } from './testing/rpc-expectations';

/** An in-test package feed holding exactly the given id@version pairs. */
function feedHolding(...packages: string[]): PackageCatalog {
  return {
    missing: (_actor, wanted) =>
      Promise.resolve(wanted.filter((p) => !packages.includes(`${p.packageId}@${p.version}`))),
  };
}

describe(`${ProjectsService.name} and the other CRUD services`, () => {
  let db: MigratedTestDatabase;
  let sut: OrchestrationHarness;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({
      entities: OrchestrationEntities,
      migrations: OrchestrationMigrations,
    });
    sut = createOrchestrationHarness(db.dataSource, { catalog: feedHolding('web@1.0.0') });
  });
  afterAll(() => db.dispose());

  const param = (index: number) => dialectSql(db.dialect).param(index);
  const count = async (table: string) =>
    Number((await db.dataSource.query<{ n: string }[]>(`SELECT COUNT(*) AS n FROM ${table}`))[0]?.n);
  const auditActions = async (resourceId: string) =>
    (
      await db.dataSource.query<{ action: string }[]>(
        `SELECT action FROM orchestrator_audit_outbox WHERE resource_id = ${param(1)} ORDER BY occurred_at`,
        [resourceId],
      )
    ).map((row) => row.action);

  it('creates, renames and deletes a project with an audit event written with each change', async () => {
    const created = await sut.projects.create(alice, { name: '  Web Shop (EU) ', description: 'shop' });
    expect(created).toMatchObject({ name: 'Web Shop (EU)', slug: 'web-shop-eu', description: 'shop' });
    const renamed = await sut.projects.update(alice, {
      id: created.id,
      name: 'Web Shop',
      description: 'shop',
    });
    expect(renamed).toMatchObject({ name: 'Web Shop', slug: 'web-shop-eu' });
    await sut.projects.delete(alice, created.id);
    await expect(rpcRefusal(sut.projects.get(alice, created.id))).resolves.toMatchObject({
      code: status.NOT_FOUND,
    });
    await expect(auditActions(created.id)).resolves.toEqual([
      'project.created',
      'project.modified',
      'project.deleted',
    ]);
  });

  it('refuses bad or duplicate projects with the right codes and leaves no rows or audit events', async () => {
    const before = { projects: await count('projects'), audit: await count('orchestrator_audit_outbox') };
    await sut.projects.create(alice, { name: 'Billing', description: '' });
    const after = await count('orchestrator_audit_outbox');

    await expect(
      rpcRefusal(sut.projects.create(alice, { name: ' ', description: '' })),
    ).resolves.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(
      rpcRefusal(sut.projects.create(alice, { name: 'x'.repeat(201), description: '' })),
    ).resolves.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(
      rpcRefusal(sut.projects.create(alice, { name: '!!!', description: '' })),
    ).resolves.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(
      rpcRefusal(sut.projects.create(alice, { name: 'Billing', description: '' })),
    ).resolves.toMatchObject({
      code: status.ALREADY_EXISTS,
      message: 'a project named "Billing" already exists',
    });
    await expect(
      rpcRefusal(sut.projects.create(alice, { name: 'billing', description: '' })),
    ).resolves.toMatchObject({ code: status.ALREADY_EXISTS });
    await expect(
      rpcRefusal(sut.projects.update(alice, { id: 'nope', name: 'X', description: '' })),
    ).resolves.toMatchObject({ code: status.NOT_FOUND });

    expect(await count('projects')).toBe(before.projects + 1);
    expect(await count('orchestrator_audit_outbox')).toBe(after);
    expect(after).toBe(before.audit + 1);
  });

  it('gives one winner when two identical projects are created at once', async () => {
    const results = await Promise.allSettled(
      [1, 2, 3].map(() => sut.projects.create(alice, { name: 'Racing', description: '' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refusals = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as RpcException] : [],
    );
    expect(refusals.map((error) => error.getError())).toEqual([
      { code: status.ALREADY_EXISTS, message: 'a project named "Racing" already exists' },
      { code: status.ALREADY_EXISTS, message: 'a project named "Racing" already exists' },
    ]);
    // The losers' audit events rolled back with their inserts.
    const events = await db.dataSource.query<{ n: string }[]>(
      "SELECT COUNT(*) AS n FROM orchestrator_audit_outbox WHERE action = 'project.created' AND details LIKE '%Racing%'",
    );
    expect(Number(events[0]?.n)).toBe(1);
  });

  it('validates processes and versions them, rejecting without changing the stored one', async () => {
    const project = await sut.projects.create(alice, { name: 'Processed', description: '' });
    await expect(sut.processes.get(alice, project.id)).resolves.toEqual({
      projectId: project.id,
      version: 0,
      steps: [],
      retryable: false,
    });
    await sut.processes.update(alice, { projectId: project.id, steps: [scriptStep('One')], retryable: true });
    const bad: orchestratorV1.DeploymentStep[] = [
      scriptStep('One'),
      { name: 'Two', actionType: 'deploy-package', properties: {} },
    ];
    await expect(
      rpcRefusal(sut.processes.update(alice, { projectId: project.id, steps: bad, retryable: false })),
    ).resolves.toEqual({
      code: status.INVALID_ARGUMENT,
      message: 'step "Two": deploy-package needs a packageId',
    });
    await expect(
      rpcRefusal(
        sut.processes.update(alice, { projectId: 'missing', steps: [scriptStep('x')], retryable: false }),
      ),
    ).resolves.toMatchObject({ code: status.NOT_FOUND });
    await expect(sut.processes.get(alice, project.id)).resolves.toMatchObject({
      version: 1,
      retryable: true,
      steps: [scriptStep('One')],
    });
    await expect(auditActions(project.id)).resolves.toEqual(['project.created', 'process.modified']);
  });

  it('keeps sensitive variable values out of replies and the audit trail, and checks environment scopes', async () => {
    const project = await sut.projects.create(alice, { name: 'Secretive', description: '' });
    const env = await environmentNamed(sut, 'Secretive env');
    const saved = await sut.variables.update(alice, {
      projectId: project.id,
      variables: [{ name: 'ApiKey', value: 'top-secret', environmentIds: [env.id], isSensitive: true }],
    });
    expect(saved.variables).toEqual([
      { name: 'ApiKey', value: '', environmentIds: [env.id], isSensitive: true },
    ]);
    const details = await db.dataSource.query<{ details: string }[]>(
      `SELECT details FROM orchestrator_audit_outbox WHERE action = 'variables.modified' AND resource_id = ${param(1)}`,
      [project.id],
    );
    expect(details[0]?.details).not.toContain('top-secret');
    await expect(
      rpcRefusal(
        sut.variables.update(alice, {
          projectId: project.id,
          variables: [{ name: 'X', value: '1', environmentIds: ['no-such-env'], isSensitive: false }],
        }),
      ),
    ).resolves.toMatchObject({
      code: status.INVALID_ARGUMENT,
      message: 'unknown environment id(s): no-such-env',
    });
    await expect(sut.variables.get(alice, project.id)).resolves.toMatchObject({ version: 1 });
  });

  it('creates releases only with valid versions and packages that exist, once per version', async () => {
    const project = await sut.projects.create(alice, { name: 'Packaged', description: '' });
    const create = (version: string, packages: orchestratorV1.ReleasePackage[]) =>
      sut.releases.create(alice, { projectId: project.id, version, notes: '', packages });
    await expect(rpcRefusal(create('1.0.0', []))).resolves.toMatchObject({
      code: status.FAILED_PRECONDITION,
    });
    await sut.processes.update(alice, {
      projectId: project.id,
      steps: [{ name: 'Web', actionType: 'deploy-package', properties: { packageId: 'web' } }],
      retryable: false,
    });

    await expect(
      rpcRefusal(create('1.0', [{ stepName: 'Web', packageId: '', version: '1.0.0' }])),
    ).resolves.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(rpcRefusal(create('1.0.0', []))).resolves.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(
      rpcRefusal(create('1.0.0', [{ stepName: 'Web', packageId: '', version: '9.9.9' }])),
    ).resolves.toEqual({
      code: status.INVALID_ARGUMENT,
      message: 'package web version 9.9.9 not found',
    });
    const release = await create('1.0.0', [{ stepName: '', packageId: 'web', version: '1.0.0' }]);
    expect(release).toMatchObject({
      version: '1.0.0',
      processVersion: 1,
      packages: [{ stepName: 'Web', packageId: 'web', version: '1.0.0' }],
    });
    await expect(
      rpcRefusal(create('1.0.0', [{ stepName: 'Web', packageId: '', version: '1.0.0' }])),
    ).resolves.toMatchObject({
      code: status.ALREADY_EXISTS,
    });
    await expect(sut.releases.listForProject(alice, project.id)).resolves.toMatchObject({
      items: [{ id: release.id }],
    });
    expect(await count(`releases WHERE project_id = '${project.id}'`)).toBe(1);
  });

  it('refuses to delete a project with releases or an environment with deployments', async () => {
    const { project, release } = await projectWithRelease(sut, 'Guarded');
    const env = await environmentNamed(sut, 'Guarded env');
    const deployment = await sut.deployments.create(alice, { releaseId: release.id, environmentId: env.id });
    expect(deployment).toMatchObject({ projectId: project.id, createdBy: 'alice' });

    await expect(rpcRefusal(sut.projects.delete(alice, project.id))).resolves.toMatchObject({
      code: status.FAILED_PRECONDITION,
    });
    await expect(rpcRefusal(sut.environments.delete(alice, env.id))).resolves.toMatchObject({
      code: status.FAILED_PRECONDITION,
    });
    await expect(sut.projects.get(alice, project.id)).resolves.toMatchObject({ id: project.id });
    await expect(auditActions(deployment.id)).resolves.toEqual(['deployment.queued']);
    await expect(
      sut.deployments.list(alice, { projectId: project.id, environmentId: '' }),
    ).resolves.toMatchObject({
      items: [{ id: deployment.id }],
    });
  });

  it('queues nothing for an unknown release or environment', async () => {
    const { release } = await projectWithRelease(sut, 'Nowhere');
    const before = await count('server_tasks');
    await expect(
      rpcRefusal(sut.deployments.create(alice, { releaseId: release.id, environmentId: 'missing' })),
    ).resolves.toMatchObject({ code: status.NOT_FOUND });
    await expect(
      rpcRefusal(sut.deployments.create(alice, { releaseId: 'missing', environmentId: 'missing' })),
    ).resolves.toMatchObject({ code: status.NOT_FOUND });
    expect(await count('server_tasks')).toBe(before);
  });

  it('registers nodes by heartbeat and reports them offline by database time', async () => {
    const quick = createOrchestrationHarness(db.dataSource, { heartbeatTimeoutMs: 500 });
    await quick.nodes.heartbeat({
      nodeName: 'node-1',
      service: 'executor',
      version: '1.0.0',
      defaultTaskCap: 5,
      stopping: false,
    });
    // The default cap applies when a node first registers only; later changes go through UpdateNode.
    const node = await quick.nodes.heartbeat({
      nodeName: 'node-1',
      service: 'orchestrator',
      version: '1.0.0',
      defaultTaskCap: 9,
      stopping: false,
    });
    expect(node).toMatchObject({
      name: 'node-1',
      state: 'Running',
      taskCap: 5,
      runningTasks: 0,
      services: ['executor', 'orchestrator'],
    });
    const sql = dialectSql(db.dialect);
    await db.dataSource.query(
      `UPDATE cluster_nodes SET last_seen = ${sql.nowPlusMs(sql.param(1))} WHERE name = 'node-1'`,
      [-60_000],
    );
    await expect(quick.nodes.list()).resolves.toMatchObject({
      items: [{ name: 'node-1', state: 'Offline' }],
    });
  });
});
