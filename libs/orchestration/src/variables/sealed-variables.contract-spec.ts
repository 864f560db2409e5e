import { randomBytes } from 'node:crypto';

import { DataSource } from 'typeorm';

import type { orchestratorV1 } from '@flotilla/contracts';

import {
  formatMasterKey,
  generateMasterKey,
  MasterKeyError,
  MasterKeyring,
} from '@flotilla/platform/secrets';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { OrchestrationEntities } from '../orchestration.entities';
import { OrchestrationMigrations } from '../orchestration.migrations';
import { alice, environmentNamed, scriptStep } from '../testing/orchestration-fixtures';
import { deployAndClaim } from '../testing/claimed-deployment';
import { createOrchestrationHarness, OrchestrationHarness } from '../testing/orchestration-harness';
import { verifyMasterKey } from './master-key-check';
import { masterKeyringProvider } from './master-keyring.provider';
import { openSensitiveValues } from './sealed-variables';
import { countSensitiveValues, resealSensitiveValues } from './sensitive-value-resealing';

const SLOW_SERVER_MS = 120_000;

/** Every variables column as the database holds it. */
async function rawVariableColumns(dataSource: DataSource): Promise<string[]> {
  const sets = await dataSource.query<{ variables: string }[]>('SELECT variables FROM variable_sets');
  const releases = await dataSource.query<{ variables: string }[]>('SELECT variables FROM releases');
  return [...sets, ...releases].map((row) => row.variables);
}

const keyIdsIn = (columns: string[]) =>
  new Set(columns.flatMap((column) => [...column.matchAll(/enc:v1:([0-9a-f]+):/g)].map((m) => m[1])));

/**
 * Sensitive variable values at rest, on the run's database: sealed in variable sets and release
 * snapshots, opened only into a claimed task's plan, re-sealed by a rotation, and a wrong key
 * refused at start-up.
 */
describe('sensitive variables at rest', () => {
  let db: MigratedTestDatabase;
  const oldKey = generateMasterKey();
  const keyring = MasterKeyring.of(oldKey);
  let sut: OrchestrationHarness;
  const secret = `s3cr3t-${randomBytes(6).toString('hex')}`;
  const otherSecret = `t0ken-${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({
      entities: OrchestrationEntities,
      migrations: OrchestrationMigrations,
    });
    sut = createOrchestrationHarness(db.dataSource, { keyring });
  }, SLOW_SERVER_MS);
  afterAll(() => db?.dispose());

  let environmentId = '';
  let releaseId = '';

  it('keeps no sensitive value in clear in variable sets or releases, shows none, and opens them into the claimed plan', async () => {
    const environment = await environmentNamed(sut, 'Production');
    environmentId = environment.id;
    const project = await sut.projects.create(alice, { name: 'Sealed', description: '' });
    await sut.processes.update(alice, {
      projectId: project.id,
      steps: [scriptStep('Use it')],
      retryable: false,
    });
    const saved = await sut.variables.update(alice, {
      projectId: project.id,
      variables: [
        { name: 'Password', value: secret, environmentIds: [environment.id], isSensitive: true },
        { name: 'ApiToken', value: otherSecret, environmentIds: [], isSensitive: true },
        { name: 'Port', value: '8080', environmentIds: [], isSensitive: false },
      ],
    });
    expect(saved.variables.map((v) => v.value)).toEqual(['', '', '8080']);
    // Saving again with the secrets sent back blank (as users see them) keeps them.
    await sut.variables.update(alice, { projectId: project.id, variables: saved.variables });
    const release = await sut.releases.create(alice, {
      projectId: project.id,
      version: '1.0.0',
      notes: '',
      packages: [],
    });
    releaseId = release.id;

    const columns = await rawVariableColumns(db.dataSource);
    expect(columns).toHaveLength(2);
    for (const column of columns) {
      expect(column).not.toContain(secret);
      expect(column).not.toContain(otherSecret);
      expect(column).toContain('8080');
      expect(column.match(/enc:v1:/g)).toHaveLength(2);
    }
    expect((await sut.variables.get(alice, project.id)).variables.map((v) => v.value)).toEqual([
      '',
      '',
      '8080',
    ]);

    const plan = await deployAndClaim(sut, release.id, environment.id);
    expect(plan.variables).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'Password', value: secret, isSensitive: true }),
        expect.objectContaining({ name: 'ApiToken', value: otherSecret, isSensitive: true }),
      ]),
    );
  });

  it('refuses a sealed value moved from the variable set into a release', async () => {
    const [setColumn] = await db.dataSource.query<{ variables: string }[]>(
      'SELECT variables FROM variable_sets',
    );
    const moved = JSON.parse(setColumn?.variables ?? '[]') as orchestratorV1.Variable[];
    expect(() => openSensitiveValues(keyring, { release: releaseId }, moved)).toThrow(
      /does not authenticate/,
    );
  });

  it('records the key at first start, accepts it afterwards, and stops start-up with a wrong or missing key', async () => {
    const runner = db.dataSource.createQueryRunner();
    try {
      await expect(verifyMasterKey(runner, keyring)).resolves.toBe('recorded');
      await expect(verifyMasterKey(runner, keyring)).resolves.toBe('verified');
      await expect(verifyMasterKey(runner, MasterKeyring.of(generateMasterKey()))).rejects.toThrow(
        MasterKeyError,
      );
      // The check row lost: values sealed under the database key still tell a wrong key apart.
      await db.dataSource.query('DELETE FROM master_key_check');
      await expect(verifyMasterKey(runner, MasterKeyring.of(generateMasterKey()))).rejects.toThrow(
        /Wrong master key/,
      );
      await expect(verifyMasterKey(runner, keyring)).resolves.toBe('recorded');
    } finally {
      await runner.release();
    }
    const start = masterKeyringProvider as { useFactory: (dataSource: DataSource) => Promise<MasterKeyring> };
    const saved = { key: process.env['FLOTILLA_MASTER_KEY'], file: process.env['FLOTILLA_MASTER_KEY_FILE'] };
    try {
      delete process.env['FLOTILLA_MASTER_KEY_FILE'];
      process.env['FLOTILLA_MASTER_KEY'] = formatMasterKey(generateMasterKey());
      await expect(start.useFactory(db.dataSource)).rejects.toThrow(
        new RegExp(
          `Wrong master key: this database's sensitive values are sealed under master key ${oldKey.id}`,
        ),
      );
      delete process.env['FLOTILLA_MASTER_KEY'];
      await expect(start.useFactory(db.dataSource)).rejects.toThrow(/No master key: set FLOTILLA_MASTER_KEY/);
      process.env['FLOTILLA_MASTER_KEY'] = formatMasterKey(oldKey);
      await expect(start.useFactory(db.dataSource)).resolves.toBeInstanceOf(MasterKeyring);
    } finally {
      for (const [name, value] of [
        ['FLOTILLA_MASTER_KEY', saved.key],
        ['FLOTILLA_MASTER_KEY_FILE', saved.file],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('re-seals every value under a new key; deployments of old and new releases still get the right values', async () => {
    const newKey = generateMasterKey();
    const rotating = MasterKeyring.of(newKey, oldKey);
    const runner = db.dataSource.createQueryRunner();
    try {
      const { total } = await countSensitiveValues(runner);
      expect(total).toBe(4);
      await expect(resealSensitiveValues(runner, rotating)).resolves.toEqual({ values: 4, rows: 2 });
      await expect(resealSensitiveValues(runner, rotating)).resolves.toEqual({ values: 0, rows: 0 });
    } finally {
      await runner.release();
    }
    const columns = await rawVariableColumns(db.dataSource);
    expect(keyIdsIn(columns)).toEqual(new Set([newKey.id]));
    for (const column of columns) expect(column).not.toContain(secret);

    const afterRotation = createOrchestrationHarness(db.dataSource, { keyring: MasterKeyring.of(newKey) });
    const plan = await deployAndClaim(afterRotation, releaseId, environmentId);
    expect(plan.variables).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'Password', value: secret })]),
    );
  });
});
