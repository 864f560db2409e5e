import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  ensureMasterKeyFile,
  loadMasterKeyring,
  MasterKeyring,
  readMasterKeyFile,
} from '@flotilla/platform/secrets';
import { createMigratedTestDatabase, MigratedTestDatabase } from '@flotilla/testing';

import { OrchestrationEntities } from '../orchestration.entities';
import { OrchestrationMigrations } from '../orchestration.migrations';
import { alice, environmentNamed, scriptStep } from '../testing/orchestration-fixtures';
import { deployAndClaim } from '../testing/claimed-deployment';
import { createOrchestrationHarness, OrchestrationHarness } from '../testing/orchestration-harness';
import { verifyMasterKey } from './master-key-check';
import { prepareMasterKeyRotation, rotateMasterKey } from './master-key-rotation';

const SLOW_SERVER_MS = 120_000;

describe(rotateMasterKey.name, () => {
  let db: MigratedTestDatabase;
  let keyFile: string;
  let sut: OrchestrationHarness;
  let environmentId: string;
  let releaseId: string;
  const secret = `rot-${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    db = await createMigratedTestDatabase({
      entities: OrchestrationEntities,
      migrations: OrchestrationMigrations,
    });
    keyFile = ensureMasterKeyFile(join(mkdtempSync(join(tmpdir(), 'flotilla-rotation-')), 'master.key')).path;
    // The keyring a running orchestrator has: it follows the key file.
    const keyring = loadMasterKeyring({ FLOTILLA_MASTER_KEY_FILE: keyFile });
    const runner = db.dataSource.createQueryRunner();
    await verifyMasterKey(runner, keyring).finally(() => runner.release());
    sut = createOrchestrationHarness(db.dataSource, { keyring });
    environmentId = (await environmentNamed(sut, 'Prod')).id;
    const project = await sut.projects.create(alice, { name: 'Rotated', description: '' });
    await sut.processes.update(alice, { projectId: project.id, steps: [scriptStep('Go')], retryable: false });
    await sut.variables.update(alice, {
      projectId: project.id,
      variables: [
        { name: 'A', value: secret, environmentIds: [], isSensitive: true },
        { name: 'B', value: `${secret}-b`, environmentIds: [environmentId], isSensitive: true },
      ],
    });
    releaseId = (
      await sut.releases.create(alice, { projectId: project.id, version: '1.0.0', notes: '', packages: [] })
    ).id;
  }, SLOW_SERVER_MS);
  afterAll(() => db?.dispose());

  const keyIdsInDatabase = async () => {
    const rows = [
      ...(await db.dataSource.query<{ variables: string }[]>('SELECT variables FROM variable_sets')),
      ...(await db.dataSource.query<{ variables: string }[]>('SELECT variables FROM releases')),
    ];
    return new Set(
      rows.flatMap((row) => [...row.variables.matchAll(/enc:v1:([0-9a-f]+):/g)].map((m) => m[1])),
    );
  };

  async function claimedValues(harness: OrchestrationHarness): Promise<string[]> {
    const plan = await deployAndClaim(harness, releaseId, environmentId, 'n');
    return plan.variables.map((v) => v.value).sort();
  }

  it(
    're-seals every value under a new key, keeps the running keyring working, and leaves the file with the new key alone',
    async () => {
      const [oldKey] = readMasterKeyFile(keyFile);
      const rotation = await rotateMasterKey(db.dataSource, keyFile, { settleMs: 10 });
      expect(rotation).toMatchObject({ resealed: 4, resumed: false, retiredKeyIds: [oldKey?.id] });
      const after = readMasterKeyFile(keyFile);
      expect(after.map((key) => key.id)).toEqual([rotation.newKeyId]);
      expect(await keyIdsInDatabase()).toEqual(new Set([rotation.newKeyId]));
      // The orchestrator that was running (its keyring read the old file) still deploys with the right values...
      await expect(claimedValues(sut)).resolves.toEqual([secret, `${secret}-b`]);
      // ...and so does one started afresh with only the new key.
      const restarted = createOrchestrationHarness(db.dataSource, { keyring: MasterKeyring.of(...after) });
      await expect(claimedValues(restarted)).resolves.toEqual([secret, `${secret}-b`]);
    },
    SLOW_SERVER_MS,
  );

  it(
    'changes nothing when the key file does not hold the database key',
    async () => {
      const stranger = join(mkdtempSync(join(tmpdir(), 'flotilla-rotation-')), 'master.key');
      const [strangerKey] = readMasterKeyFile(ensureMasterKeyFile(stranger).path);
      const idsBefore = await keyIdsInDatabase();
      await expect(rotateMasterKey(db.dataSource, stranger, { settleMs: 10 })).rejects.toThrow(
        /Wrong master key/,
      );
      expect(readMasterKeyFile(stranger).map((key) => key.id)).toEqual([strangerKey?.id]);
      expect(await keyIdsInDatabase()).toEqual(idsBefore);
    },
    SLOW_SERVER_MS,
  );

  it(
    'finishes a rotation a crash interrupted (new key on disk, some values re-sealed) instead of starting another',
    async () => {
      const [current] = readMasterKeyFile(keyFile);
      // The crash: the new key went in front of the old one and one variable set was saved under it.
      const prepared = prepareMasterKeyRotation(keyFile);
      const running = loadMasterKeyring({ FLOTILLA_MASTER_KEY_FILE: keyFile });
      const project = await sut.projects.create(alice, { name: 'Half done', description: '' });
      await createOrchestrationHarness(db.dataSource, { keyring: running }).variables.update(alice, {
        projectId: project.id,
        variables: [{ name: 'C', value: 'c', environmentIds: [], isSensitive: true }],
      });
      expect(await keyIdsInDatabase()).toEqual(new Set([current?.id, prepared.newKeyId]));

      const rotation = await rotateMasterKey(db.dataSource, keyFile, { settleMs: 10 });
      expect(rotation).toMatchObject({ resumed: true, newKeyId: prepared.newKeyId, resealed: 4 });
      expect(readMasterKeyFile(keyFile).map((key) => key.id)).toEqual([prepared.newKeyId]);
      expect(await keyIdsInDatabase()).toEqual(new Set([prepared.newKeyId]));
      await expect(claimedValues(sut)).resolves.toEqual([secret, `${secret}-b`]);
    },
    SLOW_SERVER_MS,
  );
});
