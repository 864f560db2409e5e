import { randomBytes } from 'node:crypto';

import { Permission, permissionsGrantedSomewhere, PermissionGrant } from '@flotilla/api-interfaces';
import type { CallerIdentity } from '@flotilla/platform/grpc';
import { generateMasterKey, MasterKeyring } from '@flotilla/platform/secrets';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { OrchestrationEntities } from '../orchestration.entities';
import { OrchestrationMigrations } from '../orchestration.migrations';
import { deployAndClaim } from '../testing/claimed-deployment';
import { alice, environmentNamed, scriptStep } from '../testing/orchestration-fixtures';
import { createOrchestrationHarness, OrchestrationHarness } from '../testing/orchestration-harness';

const SLOW_SERVER_MS = 120_000;

/**
 * An environment-restricted editor's update on the run's database: the secrets it never saw (other
 * environments') and the ones it sent back blank stay sealed at rest and reach a deployment intact.
 */
describe('variables edited by a caller restricted to one environment', () => {
  let db: MigratedTestDatabase;
  let sut: OrchestrationHarness;
  const productionSecret = `prod-${randomBytes(6).toString('hex')}`;
  const stagingSecret = `stage-${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({
      entities: OrchestrationEntities,
      migrations: OrchestrationMigrations,
    });
    sut = createOrchestrationHarness(db.dataSource, { keyring: MasterKeyring.of(generateMasterKey()) });
  }, SLOW_SERVER_MS);
  afterAll(() => db?.dispose());

  it('keeps the Production secret a Staging editor never saw, sealed, and deploys it', async () => {
    const staging = await environmentNamed(sut, 'Staging');
    const production = await environmentNamed(sut, 'Production');
    const project = await sut.projects.create(alice, { name: 'Scoped', description: '' });
    await sut.processes.update(alice, {
      projectId: project.id,
      steps: [scriptStep('Use it')],
      retryable: false,
    });
    await sut.variables.update(alice, {
      projectId: project.id,
      variables: [
        { name: 'Password', value: productionSecret, environmentIds: [production.id], isSensitive: true },
        { name: 'Password', value: stagingSecret, environmentIds: [staging.id], isSensitive: true },
        { name: 'Port', value: '8080', environmentIds: [staging.id], isSensitive: false },
      ],
    });
    const grants: PermissionGrant[] = [
      { permissions: [Permission.ProjectView], projectIds: [project.id] },
      {
        permissions: [Permission.VariableView, Permission.VariableEdit],
        projectIds: [project.id],
        environmentIds: [staging.id],
      },
    ];
    const stagingEditor: CallerIdentity = {
      userId: 'u-staging-editor',
      username: 'staging-editor',
      clientIp: '192.0.2.11',
      permissions: permissionsGrantedSomewhere(grants),
      grants,
    };

    const seen = await sut.variables.get(stagingEditor, project.id);
    expect(seen.variables).toEqual([
      { name: 'Password', value: '', environmentIds: [staging.id], isSensitive: true },
      { name: 'Port', value: '8080', environmentIds: [staging.id], isSensitive: false },
    ]);
    await sut.variables.update(stagingEditor, {
      projectId: project.id,
      variables: seen.variables.map((v) => (v.name === 'Port' ? { ...v, value: '9090' } : v)),
    });

    const [column] = await db.dataSource.query<{ variables: string }[]>(
      'SELECT variables FROM variable_sets',
    );
    expect(column?.variables).not.toContain(productionSecret);
    expect(column?.variables).not.toContain(stagingSecret);
    expect(column?.variables.match(/enc:v1:/g)).toHaveLength(2);

    const release = await sut.releases.create(alice, {
      projectId: project.id,
      version: '1.0.0',
      notes: '',
      packages: [],
    });
    const inProduction = await deployAndClaim(sut, release.id, production.id);
    expect(inProduction.variables).toEqual([
      { name: 'Password', value: productionSecret, environmentIds: [production.id], isSensitive: true },
    ]);
    const inStaging = await deployAndClaim(sut, release.id, staging.id);
    expect(inStaging.variables).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'Password', value: stagingSecret }),
        expect.objectContaining({ name: 'Port', value: '9090' }),
      ]),
    );
  });
});
