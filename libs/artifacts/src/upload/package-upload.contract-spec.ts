import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { status } from '@grpc/grpc-js';

import { identityToMetadata } from '@flotilla/platform/grpc';
import {
  buildTarGz,
  buildZip,
  createMigratedTestDatabase,
  freePort,
  MigratedTestDatabase,
} from '@flotilla/testing';

import { ArtifactsEntities, ArtifactsMigrations } from '../artifacts.module';
import { PackageEntity } from '../persistence/package.entity';
import {
  chunksOf,
  createArtifactClient,
  RawArtifactClient,
  rejectionOf,
  uploadPackage,
} from '../testing/artifacts-test-client';
import { ArtifactsTestServer, startArtifactsTestServer } from '../testing/artifacts-test-server';

const MiB = 1024 * 1024;
const MAX_PACKAGE_BYTES = 32 * MiB;
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const pusher = identityToMetadata({
  userId: 'u1',
  username: 'pusher',
  clientIp: '192.0.2.1',
  permissions: ['BuiltInFeedPush'],
});

describe('ArtifactService UploadPackage (real gRPC, files and the database)', () => {
  let db: MigratedTestDatabase;
  let server: ArtifactsTestServer;
  let client: RawArtifactClient;
  /** ~30 MiB of incompressible content in a real zip. */
  const bigZip = buildZip([{ name: 'payload.bin', content: randomBytes(30 * MiB) }]);

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: ArtifactsEntities, migrations: ArtifactsMigrations });
    server = await startArtifactsTestServer({
      dataSource: db.dataSource,
      port: await freePort(),
      unusedPort: await freePort(),
      maxPackageBytes: MAX_PACKAGE_BYTES,
    });
    client = createArtifactClient(server.url);
  });
  afterAll(async () => {
    client.close();
    await server.app.close();
    await db.dispose();
  });

  const packageFiles = async (): Promise<string[]> => (await readdir(server.layout.packagesDir)).sort();
  const rowOf = (packageId: string, version: string): Promise<PackageEntity | null> =>
    db.dataSource.getRepository(PackageEntity).findOneBy({ packageId, version });

  /** Waits for the server to finish cleaning up after a call it may still be handling. */
  async function eventually(check: () => Promise<boolean>): Promise<void> {
    for (let attempt = 0; attempt < 100 && !(await check()); attempt++) await sleep(50);
    // A failure prints the folder beside it: what was left behind, and its name (four refusal
    // cases failed once on Babelfish in a CI run here, 11/11 alone, with nothing else to go on).
    expect({ done: await check(), packageFiles: await packageFiles() }).toMatchObject({ done: true });
  }

  it('stores a 30 MiB package sent in 64 KiB chunks with its exact size and SHA-256', async () => {
    const record = await uploadPackage(client, 'Acme.Web.1.2.3.zip', chunksOf(bigZip), { metadata: pusher });

    expect(record).toMatchObject({
      packageId: 'Acme.Web',
      version: '1.2.3',
      format: 'zip',
      fileName: 'Acme.Web.1.2.3.zip',
      sizeBytes: bigZip.length,
      sha256: sha256(bigZip),
    });
    const stored = await readFile(server.layout.packagePath('Acme.Web.1.2.3.zip'));
    expect(stored.length).toBe(bigZip.length);
    expect(sha256(stored)).toBe(sha256(bigZip));
    await expect(rowOf('Acme.Web', '1.2.3')).resolves.toMatchObject({
      sizeBytes: bigZip.length,
      sha256: sha256(bigZip),
      publishedBy: 'pusher',
    });
    await expect(packageFiles()).resolves.toEqual(['Acme.Web.1.2.3.zip']);
  });

  it('takes no more data than it can handle while it is stalled (backpressure, not buffering)', async () => {
    // Hold the packages table so the server stalls on its duplicate check after the header. A
    // schema change inside an open transaction is the one table lock every dialect takes and that
    // even a plain read must wait for (ACCESS EXCLUSIVE on PostgreSQL and Babelfish, Sch-M on SQL
    // Server, even under snapshot isolation); a row lock would not block an MVCC read.
    const lock = db.dataSource.createQueryRunner();
    await lock.connect();
    await lock.startTransaction();
    await lock.query('ALTER TABLE packages ADD stall_marker INT NULL');
    let accepted = 0;
    const upload = uploadPackage(client, 'Acme.Stalled.1.0.0.zip', chunksOf(bigZip), {
      onAccepted: (bytes) => (accepted = bytes),
    });
    await sleep(1500);
    const acceptedWhileStalled = accepted;
    await lock.rollbackTransaction();
    await lock.release();

    await expect(upload).resolves.toMatchObject({ sizeBytes: bigZip.length, sha256: sha256(bigZip) });
    // HTTP/2 flow-control windows and a few stream buffers, far below the 30 MiB package.
    expect(acceptedWhileStalled).toBeGreaterThan(0);
    expect(acceptedWhileStalled).toBeLessThan(8 * MiB);
  });

  it('refuses a duplicate id and version with ALREADY_EXISTS and keeps the first file', async () => {
    const first = buildZip([{ name: 'a.txt', content: 'first' }]);
    await uploadPackage(client, 'Acme.Dup.2.0.0.zip', [first]);
    const second = buildZip([{ name: 'a.txt', content: 'second, longer' }]);

    await expect(uploadPackage(client, 'Acme.Dup.2.0.0.zip', [second])).rejects.toMatchObject({
      code: status.ALREADY_EXISTS,
      details: 'package Acme.Dup version 2.0.0 already exists',
    });
    // The same id and version as another format is the same package.
    await expect(
      uploadPackage(client, 'Acme.Dup.2.0.0.tgz', [buildTarGz([{ name: 'a', content: 'b' }])]),
    ).rejects.toMatchObject({
      code: status.ALREADY_EXISTS,
    });
    await expect(readFile(server.layout.packagePath('Acme.Dup.2.0.0.zip'))).resolves.toEqual(first);
    await eventually(
      async () => !(await packageFiles()).some((name) => name.startsWith('.') || name.endsWith('.tar.gz')),
    );
  });

  it('lets exactly one of two concurrent uploads of the same package win, without clobbering', async () => {
    const contents = [1, 2, 3, 4].map((n) =>
      buildZip([{ name: 'n.txt', content: `upload ${n} `.repeat(50_000) }]),
    );
    const outcomes = await Promise.allSettled(
      contents.map((content) => uploadPackage(client, 'Acme.Race.1.0.0.zip', chunksOf(content))),
    );

    const winners = outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' ? [index] : []));
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected')
        expect(outcome.reason).toMatchObject({ code: status.ALREADY_EXISTS });
    }
    const winner = contents[winners[0] ?? -1] ?? Buffer.alloc(0);
    // Compared by hash: jest's deep equality is slow on large buffers.
    expect(sha256(await readFile(server.layout.packagePath('Acme.Race.1.0.0.zip')))).toBe(sha256(winner));
    await expect(rowOf('Acme.Race', '1.0.0')).resolves.toMatchObject({ sha256: sha256(winner) });
    await eventually(async () => !(await packageFiles()).some((name) => name.startsWith('.')));
  });

  it('leaves no file and no row when the client cancels mid-stream', async () => {
    const tempFileExists = async (): Promise<boolean> =>
      (await packageFiles()).some((name) => name.endsWith('.partial'));
    const upload = uploadPackage(client, 'Acme.Cancelled.1.0.0.zip', chunksOf(bigZip), {
      cancelAfterBytes: 4 * MiB,
      beforeCancel: () => eventually(tempFileExists),
    });

    await expect(upload).rejects.toMatchObject({ code: status.CANCELLED });
    await eventually(async () => !(await tempFileExists()));
    expect(await packageFiles()).not.toContain('Acme.Cancelled.1.0.0.zip');
    await expect(rowOf('Acme.Cancelled', '1.0.0')).resolves.toBeNull();
  });

  it('refuses an upload over FLOTILLA_MAX_PACKAGE_BYTES with RESOURCE_EXHAUSTED and leaves nothing', async () => {
    const oversized = Buffer.concat([bigZip, randomBytes(3 * MiB)]);
    expect(oversized.length).toBeGreaterThan(MAX_PACKAGE_BYTES);

    await expect(uploadPackage(client, 'Acme.Huge.1.0.0.zip', chunksOf(oversized))).rejects.toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
    });
    await eventually(
      async () =>
        !(await packageFiles()).some((name) => name.startsWith('.') || name.startsWith('Acme.Huge')),
    );
    await expect(rowOf('Acme.Huge', '1.0.0')).resolves.toBeNull();
  });

  it.each([
    [
      'a .zip that is not a zip',
      'Acme.Fake.1.0.0.zip',
      [Buffer.from('this is plain text, not an archive')],
      /not a valid zip/,
    ],
    [
      'a .tar.gz that is a zip',
      'Acme.Fake.1.0.0.tar.gz',
      [buildZip([{ name: 'a', content: 'b' }])],
      /not a valid tar\.gz/,
    ],
    ['an empty upload', 'Acme.Fake.1.0.0.zip', [], /empty/],
    [
      'a file name outside the expected form',
      '../Acme.Fake.1.0.0.zip',
      [buildZip([])],
      /expected "<id>\.<version>\.zip"/,
    ],
  ])('refuses %s with INVALID_ARGUMENT and leaves nothing', async (_label, fileName, chunks, message) => {
    const error = await rejectionOf(uploadPackage(client, fileName, chunks));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toMatch(message);
    await eventually(
      async () =>
        !(await packageFiles()).some((name) => name.startsWith('.') || name.startsWith('Acme.Fake')),
    );
    await expect(rowOf('Acme.Fake', '1.0.0')).resolves.toBeNull();
  });

  it('requires the header first', async () => {
    const error = await rejectionOf(
      uploadPackage(client, 'ignored.1.0.0.zip', [buildZip([])], { skipHeader: true }),
    );
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toContain('first upload message must carry the header');
  });
});
