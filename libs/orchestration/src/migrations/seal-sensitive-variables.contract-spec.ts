import { randomBytes } from 'node:crypto';

import { runMigrations } from '@flotilla/platform/persistence';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { OrchestrationEntities } from '../orchestration.entities';
import { OrchestrationMigrations } from '../orchestration.migrations';
import { deployAndClaim } from '../testing/claimed-deployment';
import { alice, environmentNamed, scriptStep } from '../testing/orchestration-fixtures';
import { createOrchestrationHarness } from '../testing/orchestration-harness';
import { undoMigrationsFrom } from './server-task-columns.test-support';
import { SealSensitiveVariables1764200000311 } from './1764200000311-seal-sensitive-variables';

const SLOW_SERVER_MS = 120_000;

describe(SealSensitiveVariables1764200000311.name, () => {
  let db: MigratedTestDatabase;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({
      entities: OrchestrationEntities,
      migrations: OrchestrationMigrations,
    });
  }, SLOW_SERVER_MS);
  afterAll(() => db?.dispose());

  const rawColumns = async () =>
    [
      ...(await db.dataSource.query<{ variables: string }[]>('SELECT variables FROM variable_sets')),
      ...(await db.dataSource.query<{ variables: string }[]>('SELECT variables FROM releases')),
    ].map((row) => row.variables);

  it(
    'seals the clear values an earlier version stored (with the key), refuses to run without a key when there are some, and reverts to clear',
    async () => {
      // The test run's key (FLOTILLA_MASTER_KEY from the jest global setup) is the one the migration reads.
      const sut = createOrchestrationHarness(db.dataSource);
      const secret = `pw-${randomBytes(6).toString('hex')}`;
      const environment = await environmentNamed(sut, 'Live');
      const project = await sut.projects.create(alice, { name: 'Upgraded', description: '' });
      await sut.processes.update(alice, {
        projectId: project.id,
        steps: [scriptStep('Go')],
        retryable: false,
      });
      await sut.variables.update(alice, {
        projectId: project.id,
        variables: [{ name: 'Password', value: secret, environmentIds: [], isSensitive: true }],
      });
      const release = await sut.releases.create(alice, {
        projectId: project.id,
        version: '1.0.0',
        notes: '',
        packages: [],
      });

      // Down: the schema and rows an earlier version had — sensitive values in clear.
      const undone = await undoMigrationsFrom(db.dataSource, SealSensitiveVariables1764200000311);
      for (const column of await rawColumns()) expect(column).toContain(`"value":"${secret}"`);

      const savedKey = process.env['FLOTILLA_MASTER_KEY'];
      try {
        delete process.env['FLOTILLA_MASTER_KEY'];
        await expect(runMigrations(db.dataSource)).rejects.toThrow(
          /2 sensitive variable value\(s\) are stored in clear .* no master key is configured: set FLOTILLA_MASTER_KEY/,
        );
      } finally {
        process.env['FLOTILLA_MASTER_KEY'] = savedKey;
      }
      await expect(runMigrations(db.dataSource)).resolves.toEqual({ applied: undone });
      for (const column of await rawColumns()) {
        expect(column).not.toContain(secret);
        expect(column).toMatch(/"value":"enc:v1:/);
      }

      const plan = await deployAndClaim(sut, release.id, environment.id, 'n');
      expect(plan.variables).toEqual([expect.objectContaining({ name: 'Password', value: secret })]);
    },
    SLOW_SERVER_MS,
  );
});
