import type { DataSource, ObjectLiteral } from 'typeorm';

import { auditOutboxTable } from '@flotilla/audit/outbox';
import { dialectOf, dialectSql } from '@flotilla/platform/persistence';

/**
 * Representative rows as an older release writes them: plain SQL valid on every dialect of the
 * contract suite (parameters through `dialectSql`, booleans and numbers as bound parameters), each
 * naming only the columns its table was created with, so every column a later migration added is
 * left to the database. After the last migration, `readBack` checks the rows through the current
 * entities, with the added columns' defaults.
 */
export interface SeedRows {
  /** The table whose presence in a schema means this seed can run there. */
  table: string;
  insert(dataSource: DataSource, stage: string): Promise<void>;
  readBack(dataSource: DataSource, stage: string): Promise<void>;
}

/** Runs one INSERT with `values` bound as parameters 1..n in the dialect's placeholders. */
async function insertRow(
  dataSource: DataSource,
  table: string,
  values: Record<string, unknown>,
): Promise<void> {
  const sql = dialectSql(dialectOf(dataSource));
  const columns = Object.keys(values);
  await dataSource.query(
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => sql.param(i + 1)).join(', ')})`,
    Object.values(values),
  );
}

/** The stage's row through the current entity (by TypeORM entity name), failing when it is gone. */
function entityRow(dataSource: DataSource, entity: string, where: ObjectLiteral): Promise<ObjectLiteral> {
  return dataSource.getRepository(entity).findOneByOrFail(where);
}

/** Ids are varchar(36): short stage-scoped ones keep the rows of every stage apart. */
const idOf = (kind: string, stage: string) => `${kind}-${stage}`;

function outboxSeed(service: string, entity: string): SeedRows {
  const table = auditOutboxTable(service);
  return {
    table,
    insert: (dataSource, stage) =>
      insertRow(dataSource, table, {
        id: idOf('outbox', stage),
        actor_id: 'user-1',
        actor_name: 'alice',
        action: 'project.created',
        resource_type: 'project',
        resource_id: `resource-${stage}`,
        details: '{"name":"Web"}',
        client_ip: '10.0.0.1',
        source: service,
      }),
    readBack: async (dataSource, stage) =>
      expect(await entityRow(dataSource, entity, { id: idOf('outbox', stage) })).toEqual({
        id: idOf('outbox', stage),
        occurredAt: expect.any(Date) as Date,
        actorId: 'user-1',
        actorName: 'alice',
        action: 'project.created',
        resourceType: 'project',
        resourceId: `resource-${stage}`,
        details: '{"name":"Web"}',
        clientIp: '10.0.0.1',
        source: service,
        attempts: 0,
        // Added by *AddAuditOutboxForwardedFor*: '' for events an older producer wrote.
        forwardedFor: '',
        // Added by *AddAuditOutboxProvenance*: '' for events an older producer wrote.
        signInMethod: '',
        apiKeyId: '',
        socketPeer: '',
        nodeName: '',
        requestId: '',
        outcome: '',
        projectId: '',
        environmentId: '',
      }),
  };
}

const USERS: SeedRows = {
  table: 'users',
  insert: (dataSource, stage) =>
    insertRow(dataSource, 'users', {
      id: idOf('user', stage),
      username: `User.${stage}`,
      username_normalized: `user.${stage}`,
      display_name: `User ${stage}`,
      password_hash: null,
      roles: '["Administrator"]',
      is_active: true,
      source: 'local',
    }),
  readBack: async (dataSource, stage) =>
    expect(await entityRow(dataSource, 'UserEntity', { id: idOf('user', stage) })).toEqual({
      id: idOf('user', stage),
      username: `User.${stage}`,
      usernameNormalized: `user.${stage}`,
      displayName: `User ${stage}`,
      passwordHash: null,
      roles: '["Administrator"]',
      isActive: true,
      source: 'local',
      createdAt: expect.any(Date) as Date,
      updatedAt: expect.any(Date) as Date,
      // Added by AddUsersMustChangePassword1764200000102: accounts made before it need no change.
      mustChangePassword: false,
      // Added by AddUsersExternalId1764200000130: local accounts have no directory id.
      externalId: null,
    }),
};

const AUDIT_EVENTS: SeedRows = {
  table: 'audit_events',
  insert: async (dataSource, stage) => {
    const sql = dialectSql(dialectOf(dataSource));
    await dataSource.query(
      'INSERT INTO audit_events (id, occurred_at, actor_id, actor_name, action, resource_type, resource_id, ' +
        `details, client_ip, source) VALUES (${sql.param(1)}, ${sql.now}, 'user-1', 'alice', 'user.signed-in', ` +
        `'user', 'user-1', '{}', '10.0.0.1', 'auth')`,
      [idOf('event', stage)],
    );
  },
  readBack: async (dataSource, stage) =>
    expect(await entityRow(dataSource, 'AuditEventEntity', { id: idOf('event', stage) })).toEqual({
      id: idOf('event', stage),
      occurredAt: expect.any(Date) as Date,
      recordedAt: expect.any(Date) as Date,
      actorId: 'user-1',
      actorName: 'alice',
      action: 'user.signed-in',
      resourceType: 'user',
      resourceId: 'user-1',
      details: '{}',
      clientIp: '10.0.0.1',
      source: 'auth',
      // Added by AddAuditEventsForwardedFor1764200000201.
      forwardedFor: '',
      // Added by ChainAuditEvents1764200000203: events stored before the chain have no link.
      sequenceNumber: null,
      chainHash: null,
      // Added by AddAuditEventsClientIpKey1764200000205: not found by the address filter.
      clientIpKey: null,
      // Added by AddAuditEventsProvenance1764200000220: '' for events stored before it, whose
      // links (version 1) cover none of these fields.
      signInMethod: '',
      apiKeyId: '',
      socketPeer: '',
      nodeName: '',
      requestId: '',
      outcome: '',
      projectId: '',
      environmentId: '',
      linkVersion: 1,
    }),
};

/** A project with a release deployed to an environment, its queued task, and a registered node. */
const DEPLOYMENT_TASKS: SeedRows = {
  table: 'server_tasks',
  insert: async (dataSource, stage) => {
    const [project, environment, release, deployment, task] = [
      'project',
      'env',
      'release',
      'deploy',
      'task',
    ].map((kind) => idOf(kind, stage));
    await insertRow(dataSource, 'projects', {
      id: project,
      name: `Web ${stage}`,
      slug: `web-${stage}`,
      description: '',
    });
    await insertRow(dataSource, 'environments', {
      id: environment,
      name: `Production ${stage}`,
      slug: `production-${stage}`,
      description: '',
    });
    await insertRow(dataSource, 'releases', {
      id: release,
      project_id: project,
      version: '1.0.0',
      notes: '',
      packages: '[]',
      steps: '[]',
      variables: '[]',
    });
    await insertRow(dataSource, 'deployments', {
      id: deployment,
      project_id: project,
      release_id: release,
      environment_id: environment,
      task_id: task,
      created_by: 'alice',
    });
    await insertRow(dataSource, 'server_tasks', {
      id: task,
      name: 'Deploy',
      description: `Deploy Web ${stage} 1.0.0 to Production`,
      state: 'Queued',
      deployment_id: deployment,
      project_id: project,
      environment_id: environment,
      concurrency_key: `${project}/${environment}`,
    });
    await insertRow(dataSource, 'cluster_nodes', {
      name: idOf('node', stage),
      services: '["executor"]',
      version: '1.0.0',
    });
  },
  readBack: async (dataSource, stage) => {
    expect(await entityRow(dataSource, 'ReleaseEntity', { id: idOf('release', stage) })).toMatchObject({
      projectId: idOf('project', stage),
      version: '1.0.0',
      processVersion: 0,
      retryable: false,
    });
    expect(await entityRow(dataSource, 'ServerTaskEntity', { id: idOf('task', stage) })).toMatchObject({
      state: 'Queued',
      deploymentId: idOf('deploy', stage),
      nodeName: null,
      claim: 0,
      nextStep: 0,
      queuedAt: expect.any(Date) as Date,
      startedAt: null,
      // Added by AddTaskProgressAndRecoveries1764200000301 and AddTaskLogIntegrity1764200000303.
      lastProgressAt: null,
      recoveryCount: 0,
      logLinesLost: 0,
      logProblem: null,
    });
    expect(await entityRow(dataSource, 'ClusterNodeEntity', { name: idOf('node', stage) })).toMatchObject({
      services: '["executor"]',
      taskCap: 5,
      isDraining: false,
      // Added by AddNodeStopping1764200000302.
      stoppingSince: null,
    });
  },
};

const PACKAGES: SeedRows = {
  table: 'packages',
  insert: (dataSource, stage) =>
    insertRow(dataSource, 'packages', {
      id: idOf('package', stage),
      package_id: `web-${stage}`,
      version: '1.0.0',
      format: 'zip',
      file_name: `web-${stage}.1.0.0.zip`,
      size_bytes: 1234,
      sha256: 'a'.repeat(64),
      published_by: 'alice',
    }),
  readBack: async (dataSource, stage) =>
    expect(await entityRow(dataSource, 'PackageEntity', { id: idOf('package', stage) })).toEqual({
      id: idOf('package', stage),
      packageId: `web-${stage}`,
      version: '1.0.0',
      format: 'zip',
      fileName: `web-${stage}.1.0.0.zip`,
      sizeBytes: 1234,
      sha256: 'a'.repeat(64),
      publishedAt: expect.any(Date) as Date,
      publishedBy: 'alice',
    }),
};

/** In dependency order; a seed runs in a schema once its table exists there. */
export const SEED_ROWS: readonly SeedRows[] = [
  USERS,
  outboxSeed('auth', 'authAuditOutbox'),
  AUDIT_EVENTS,
  DEPLOYMENT_TASKS,
  outboxSeed('orchestrator', 'orchestratorAuditOutbox'),
  PACKAGES,
  outboxSeed('artifacts', 'artifactsAuditOutbox'),
];
