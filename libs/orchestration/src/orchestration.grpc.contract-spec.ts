import * as grpc from '@grpc/grpc-js';
import { INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import { ALL_PERMISSIONS } from '@flotilla/api-interfaces';
import type { auditV1, orchestratorV1 } from '@flotilla/contracts';
import { FlotillaConfigModule } from '@flotilla/platform/config';
import {
  clientChannelOptions,
  clientCredentials,
  grpcOptions,
  identityToMetadata,
  serviceCertificate,
  systemIdentity,
} from '@flotilla/platform/grpc';
import { DatabaseModule } from '@flotilla/platform/persistence';
import { createMigratedTestDatabase, freePort, MigratedTestDatabase } from '@flotilla/testing';

import { OrchestrationEntities } from './orchestration.entities';
import { OrchestrationMigrations } from './orchestration.migrations';
import { OrchestrationModule } from './orchestration.module';
import { alice } from './testing/orchestration-fixtures';
import { serviceConstructor, startGrpcDouble, unaryCall } from './testing/grpc-test-doubles';

@Module({
  imports: [
    FlotillaConfigModule,
    DatabaseModule.register({ applicationName: 'orchestrator-grpc-spec', entities: OrchestrationEntities }),
    OrchestrationModule,
  ],
})
class OrchestratorSpecModule {}

describe(`${OrchestrationModule.name} over gRPC`, () => {
  let db: MigratedTestDatabase;
  let app: INestMicroservice;
  /** The gateway's certificate, calling for alice as an administrator (caller tokens: the jest setup). */
  let client: grpc.Client;
  /** An executor's certificate, on its own: claims, progress, heartbeats. */
  let executorClient: grpc.Client;
  let artifacts: { url: string; stop(): Promise<void> };
  let audit: { url: string; stop(): Promise<void> };
  const auditEvents: auditV1.AuditEvent[] = [];
  const administrator = { ...alice, permissions: [...ALL_PERMISSIONS] };
  const metadata = () => identityToMetadata(administrator);
  const call = <T>(method: string, request: object) => unaryCall<T>(client, method, request, metadata());
  const asExecutor = <T>(method: string, request: object) =>
    unaryCall<T>(executorClient, method, request, identityToMetadata(systemIdentity('executor')));

  beforeAll(async () => {
    db = await createMigratedTestDatabase({
      entities: OrchestrationEntities,
      migrations: OrchestrationMigrations,
    });
    artifacts = await startGrpcDouble('artifacts', {
      GetPackage: (
        callObject: grpc.ServerUnaryCall<{ packageId: string; version: string }, unknown>,
        callback: grpc.sendUnaryData<object>,
      ) => {
        const { packageId, version } = callObject.request;
        if (packageId === 'web' && version === '1.0.0') callback(null, { packageId, version, format: 'zip' });
        else callback({ code: grpc.status.NOT_FOUND, details: `package ${packageId} ${version} not found` });
      },
    });
    audit = await startGrpcDouble('audit', {
      Record: (
        callObject: grpc.ServerUnaryCall<auditV1.RecordEventsRequest, unknown>,
        callback: grpc.sendUnaryData<object>,
      ) => {
        auditEvents.push(...callObject.request.events);
        callback(null, { recorded: callObject.request.events.length });
      },
    });
    const listen = `127.0.0.1:${await freePort()}`;
    Object.assign(process.env, {
      FLOTILLA_DB_DIALECT: db.dialect,
      FLOTILLA_DB_URL: db.url,
      // The orchestrator heartbeats its own node: make that the node these specs play.
      FLOTILLA_NODE_NAME: 'wire-node',
      FLOTILLA_ORCHESTRATOR_GRPC_LISTEN: listen,
      FLOTILLA_ARTIFACTS_GRPC_URL: artifacts.url,
      FLOTILLA_AUDIT_GRPC_URL: audit.url,
    });
    delete process.env['FLOTILLA_REDIS_URL'];
    app = await NestFactory.createMicroservice(OrchestratorSpecModule, {
      ...grpcOptions('orchestrator', listen),
      logger: false,
    });
    await app.listen();
    const Orchestrator = serviceConstructor('orchestrator');
    client = new Orchestrator(
      listen,
      clientCredentials(serviceCertificate()),
      clientChannelOptions('orchestrator'),
    );
    executorClient = new Orchestrator(
      listen,
      clientCredentials(serviceCertificate('executor')),
      clientChannelOptions('orchestrator'),
    );
  });

  afterAll(async () => {
    client?.close();
    executorClient?.close();
    await app?.close();
    await artifacts?.stop();
    await audit?.stop();
    await db?.dispose();
  });

  it('answers every method of OrchestratorService (none UNIMPLEMENTED)', async () => {
    const methods = Object.keys(serviceConstructor('orchestrator').service);
    expect(methods).toHaveLength(31);
    for (const method of methods) {
      const outcome = await unaryCall(client, method, {}, metadata()).then(
        () => grpc.status.OK,
        (error: grpc.ServiceError) => error.code,
      );
      expect({ method, code: outcome }).not.toEqual({ method, code: grpc.status.UNIMPLEMENTED });
    }
  });

  it('runs a deployment from project to completed task, checking packages with the artifact store', async () => {
    const project = await call<orchestratorV1.Project>('CreateProject', {
      name: 'Over the wire',
      description: '',
    });
    const environment = await call<orchestratorV1.Environment>('CreateEnvironment', {
      name: 'Wire test',
      description: '',
    });
    await call('UpdateDeploymentProcess', {
      projectId: project.id,
      steps: [{ name: 'Web', actionType: 'deploy-package', properties: { packageId: 'web' } }],
      retryable: false,
    });
    const missing = await call('CreateRelease', {
      projectId: project.id,
      version: '1.0.0',
      packages: [{ stepName: 'Web', version: '2.0.0' }],
    }).catch((error: grpc.ServiceError) => error);
    expect(missing).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'package web version 2.0.0 not found',
    });
    const release = await call<orchestratorV1.Release>('CreateRelease', {
      projectId: project.id,
      version: '1.0.0',
      packages: [{ stepName: 'Web', version: '1.0.0' }],
    });
    const deployment = await call<orchestratorV1.Deployment>('CreateDeployment', {
      releaseId: release.id,
      environmentId: environment.id,
    });
    expect(deployment.createdBy).toBe('alice');

    await asExecutor('Heartbeat', {
      nodeName: 'wire-node',
      service: 'executor',
      version: '1.2.3',
      defaultTaskCap: 5,
    });
    const reply = await asExecutor<orchestratorV1.ClaimTaskReply>('ClaimTask', {
      nodeName: 'wire-node',
      freeSlots: 2,
    });
    expect(reply.plan).toMatchObject({
      task: { id: deployment.taskId, state: 'Executing', claim: 1 },
      projectSlug: 'over-the-wire',
      packages: [{ stepName: 'Web', packageId: 'web', version: '1.0.0' }],
    });
    const stale = await asExecutor('ReportProgress', {
      taskId: deployment.taskId,
      claim: 7,
      nextStep: 1,
    }).catch((error: grpc.ServiceError) => error);
    expect(stale).toMatchObject({ code: grpc.status.FAILED_PRECONDITION });
    await expect(
      asExecutor('ReportProgress', { taskId: deployment.taskId, claim: 1, nextStep: 1 }),
    ).resolves.toEqual({ cancelRequested: false });
    await expect(
      asExecutor('CompleteTask', { taskId: deployment.taskId, claim: 1, state: 'Success', nextStep: 1 }),
    ).resolves.toMatchObject({
      state: 'Success',
      nodeName: 'wire-node',
    });
    await expect(
      call<orchestratorV1.TaskList>('ListTasks', { projectId: project.id }),
    ).resolves.toMatchObject({ total: 1 });
  });

  it('maps refusals to gRPC codes', async () => {
    await expect(call('CreateProject', { name: '' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
    await expect(call('GetProject', { id: 'missing' })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
    await call('CreateEnvironment', { name: 'Twice' });
    await expect(call('CreateEnvironment', { name: 'Twice' })).rejects.toMatchObject({
      code: grpc.status.ALREADY_EXISTS,
    });
  });

  it('registers heartbeating nodes; without a licence only the first one takes tasks', async () => {
    await asExecutor('Heartbeat', {
      nodeName: 'wire-node',
      service: 'executor',
      version: '1.2.3',
      defaultTaskCap: 5,
    });
    const second = await asExecutor<orchestratorV1.ClusterNode>('Heartbeat', {
      nodeName: 'wire-node-2',
      service: 'executor',
      version: '1.2.3',
      defaultTaskCap: 3,
    });
    expect(second).toMatchObject({
      state: 'Running',
      taskCap: 3,
      overLicenceLimit: true,
      statusMessage: 'Node limit of 1 reached (no licence): this node runs no tasks',
    });
    const nodes = await call<orchestratorV1.NodeList>('ListNodes', {});
    expect(nodes.items).toEqual([
      expect.objectContaining({
        name: 'wire-node',
        state: 'Running',
        // The orchestrator itself heartbeats its node too.
        services: ['executor', 'task-orchestrator'],
        taskCap: 5,
        overLicenceLimit: false,
      }),
      expect.objectContaining({ name: 'wire-node-2', overLicenceLimit: true }),
    ]);
  });

  it('changes only the fields an UpdateNode sets, and refuses to remove a live node', async () => {
    await asExecutor('Heartbeat', {
      nodeName: 'wire-node',
      service: 'executor',
      version: '1.2.3',
      defaultTaskCap: 5,
    });
    await expect(call('UpdateNode', { name: 'wire-node', isDraining: true })).resolves.toMatchObject({
      state: 'Draining',
      isDraining: true,
      taskCap: 5,
    });
    await expect(call('UpdateNode', { name: 'wire-node', taskCap: 0 })).resolves.toMatchObject({
      isDraining: true,
      taskCap: 0,
    });
    await expect(
      call('UpdateNode', { name: 'wire-node', taskCap: 5, isDraining: false }),
    ).resolves.toMatchObject({ state: 'Running', taskCap: 5 });
    await expect(call('UpdateNode', { name: 'nobody', taskCap: 1 })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
    await expect(call('UpdateNode', { name: 'wire-node', taskCap: 1001 })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
    await expect(call('GetNode', { name: 'wire-node' })).resolves.toMatchObject({ name: 'wire-node' });
    await expect(call('RemoveNode', { name: 'wire-node' })).rejects.toMatchObject({
      code: grpc.status.FAILED_PRECONDITION,
    });
  });

  it('relays the audit events to the audit service with the caller and client address', async () => {
    const deadline = Date.now() + 10_000;
    while (!auditEvents.some((event) => event.action === 'deployment.queued') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(auditEvents).toContainEqual(
      expect.objectContaining({
        action: 'project.created',
        actorName: 'alice',
        clientIp: '192.0.2.10',
        source: 'orchestrator',
      }),
    );
    expect(auditEvents.map((event) => event.action)).toContain('deployment.queued');
  });
});
