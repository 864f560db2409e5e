import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { status } from '@grpc/grpc-js';

import { FailureReason, failureReasonOf, identityToMetadata } from '@flotilla/platform/grpc';
import {
  buildZip,
  createMigratedTestDatabase,
  freePort,
  MigratedTestDatabase,
  mountSmallTmpfs,
  SmallTmpfs,
} from '@flotilla/testing';

import { ArtifactsEntities, ArtifactsMigrations } from '../artifacts.module';
import { PackageEntity } from '../persistence/package.entity';
import {
  chunksOf,
  createArtifactClient,
  RawArtifactClient,
  unary,
  uploadPackage,
} from '../testing/artifacts-test-client';
import { ArtifactsTestServer, startArtifactsTestServer } from '../testing/artifacts-test-server';

const MiB = 1024 * 1024;
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const admin = identityToMetadata({
  userId: 'u1',
  username: 'admin',
  clientIp: '192.0.2.1',
  permissions: ['FeedView', 'BuiltInFeedPush', 'BuiltInFeedAdminister'],
});
const READ_ONLY_UPLOAD =
  'Shared storage is read-only (Packages folder); the package was not stored. ' +
  'Ask your administrator to make it writable again.';
const FULL_UPLOAD =
  'Shared storage is full (Packages folder: no space left on device); the package was not stored. ' +
  'Free space or ask your administrator.';

describe('ArtifactService on a read-only or full Packages folder (real 1 MiB tmpfs)', () => {
  let db: MigratedTestDatabase;
  let root: string;
  let packages: SmallTmpfs;
  let server: ArtifactsTestServer;
  let client: RawArtifactClient;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'flotilla-artifacts-storage-'));
    packages = await mountSmallTmpfs(join(root, 'Packages'), MiB);
    db = await createMigratedTestDatabase({ entities: ArtifactsEntities, migrations: ArtifactsMigrations });
    server = await startArtifactsTestServer({
      dataSource: db.dataSource,
      port: await freePort(),
      unusedPort: await freePort(),
      maxPackageBytes: 32 * MiB,
      sharedStorage: root,
    });
    client = createArtifactClient(server.url);
  });

  afterAll(async () => {
    client?.close();
    await server?.app.close();
    await db?.dispose();
    await packages?.unmount();
    await rm(root, { recursive: true, force: true });
  });

  /** Package files and upload temp files; the test's own filler is not the service's. */
  const packageFiles = async (): Promise<string[]> =>
    (await readdir(server.layout.packagesDir)).filter((name) => !name.startsWith('.filler')).sort();
  const rowOf = (packageId: string, version: string): Promise<PackageEntity | null> =>
    db.dataSource.getRepository(PackageEntity).findOneBy({ packageId, version });
  async function eventuallyNoTempFiles(): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      if (!(await packageFiles()).some((name) => name.startsWith('.'))) return;
      await sleep(50);
    }
    expect(await packageFiles()).toEqual([]);
  }
  async function download(packageId: string, version: string): Promise<string> {
    const hash = createHash('sha256');
    const call = client.DownloadPackage({ packageId, version }, admin);
    for await (const chunk of call as AsyncIterable<{ data?: Buffer }>)
      if (chunk.data) hash.update(chunk.data);
    return hash.digest('hex');
  }

  it('refuses an upload to a read-only folder with UNAVAILABLE and a message, and still serves downloads', async () => {
    const existing = buildZip([{ name: 'a.txt', content: 'stored before the share went read-only' }]);
    await uploadPackage(client, 'Acme.Before.1.0.0.zip', [existing], { metadata: admin });
    await packages.readOnly();
    try {
      const refused = await uploadPackage(
        client,
        'Acme.Ro.1.0.0.zip',
        [buildZip([{ name: 'b', content: 'c' }])],
        {
          metadata: admin,
        },
      ).catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: status.UNAVAILABLE, details: READ_ONLY_UPLOAD });
      expect(failureReasonOf(refused)).toBe(FailureReason.StorageReadOnly);
      await expect(rowOf('Acme.Ro', '1.0.0')).resolves.toBeNull();

      await expect(download('Acme.Before', '1.0.0')).resolves.toBe(sha256(existing));

      const deleteRefused = await unary(
        client.DeletePackage.bind(client),
        { packageId: 'Acme.Before', version: '1.0.0' },
        admin,
      ).catch((error: unknown) => error);
      expect(deleteRefused).toMatchObject({
        code: status.UNAVAILABLE,
        details:
          'Shared storage is read-only (Packages folder); the package was removed from the feed but its file ' +
          'could not be deleted. Ask your administrator to make it writable again.',
      });
      expect(failureReasonOf(deleteRefused)).toBe(FailureReason.StorageReadOnly);
    } finally {
      await packages.writable();
    }
    expect(await packageFiles()).toEqual(['Acme.Before.1.0.0.zip']);
  });

  it('refuses an upload to a full folder with RESOURCE_EXHAUSTED, leaving no file and no row', async () => {
    await packages.fill();
    try {
      const refused = await uploadPackage(
        client,
        'Acme.Full.1.0.0.zip',
        [buildZip([{ name: 'b', content: 'c' }])],
        {
          metadata: admin,
        },
      ).catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: status.RESOURCE_EXHAUSTED, details: FULL_UPLOAD });
      expect(failureReasonOf(refused)).toBe(FailureReason.StorageFull);
      await eventuallyNoTempFiles();
      await expect(rowOf('Acme.Full', '1.0.0')).resolves.toBeNull();
    } finally {
      await packages.free();
    }
  });

  it('refuses a package bigger than the space left part-way through, and removes what it wrote', async () => {
    const tooBig = buildZip([{ name: 'payload.bin', content: randomBytes(3 * MiB) }]);
    const refused = await uploadPackage(client, 'Acme.Big.1.0.0.zip', chunksOf(tooBig), {
      metadata: admin,
    }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: status.RESOURCE_EXHAUSTED, details: FULL_UPLOAD });
    await eventuallyNoTempFiles();
    await expect(rowOf('Acme.Big', '1.0.0')).resolves.toBeNull();
    expect(await packageFiles()).not.toContain('Acme.Big.1.0.0.zip');
  });

  it('stores the package again once the folder has room and is writable', async () => {
    const content = buildZip([{ name: 'b', content: 'after the storage came back' }]);
    await expect(
      uploadPackage(client, 'Acme.Full.1.0.0.zip', [content], { metadata: admin }),
    ).resolves.toMatchObject({ sha256: sha256(content) });
    await expect(rowOf('Acme.Full', '1.0.0')).resolves.toMatchObject({ sha256: sha256(content) });
  });
});
