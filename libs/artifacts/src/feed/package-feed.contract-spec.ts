import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { status } from '@grpc/grpc-js';

import type { artifactsV1 } from '@flotilla/contracts';
import { identityToMetadata } from '@flotilla/platform/grpc';
import {
  buildTarGz,
  buildZip,
  createMigratedTestDatabase,
  freePort,
  MigratedTestDatabase,
} from '@flotilla/testing';

import { ArtifactsEntities, ArtifactsMigrations } from '../artifacts.module';
import {
  asFeedUser,
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
  userId: 'u9',
  username: 'admin',
  clientIp: '192.0.2.9',
  permissions: ['BuiltInFeedAdminister'],
});
const deployer = identityToMetadata({
  userId: 'u2',
  username: 'deployer',
  clientIp: '192.0.2.2',
  permissions: ['BuiltInFeedPush'],
});

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
/** Memory held in Buffers after a full collection, so garbage does not blur the figure. */
function liveBufferBytes(): number {
  collectGarbage();
  return process.memoryUsage().arrayBuffers;
}

interface Download {
  record: artifactsV1.Package | undefined;
  sizeBytes: number;
  sha256: string;
}

/** Downloads a package, hashing as it arrives; `whilePaused` runs with the stream paused after the record. */
function download(
  client: RawArtifactClient,
  ref: artifactsV1.PackageRef,
  whilePaused?: () => Promise<void>,
): Promise<Download> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const result: Download = { record: undefined, sizeBytes: 0, sha256: '' };
    const stream = client.DownloadPackage(ref, asFeedUser());
    stream.on('data', (chunk: artifactsV1.DownloadPackageChunk) => {
      if (chunk.package) {
        result.record = chunk.package;
        if (whilePaused) {
          stream.pause();
          whilePaused().then(() => stream.resume(), reject);
        }
      } else if (chunk.data) {
        hash.update(chunk.data);
        result.sizeBytes += chunk.data.length;
      }
    });
    stream.on('error', reject);
    stream.on('end', () => resolve({ ...result, sha256: hash.digest('hex') }));
  });
}

describe('ArtifactService feed: download, get, list, delete (real gRPC, files and PostgreSQL)', () => {
  let db: MigratedTestDatabase;
  let server: ArtifactsTestServer;
  let client: RawArtifactClient;
  const bigZip = buildZip([{ name: 'payload.bin', content: randomBytes(30 * MiB) }]);
  const smallTgz = buildTarGz([{ name: 'bin/run.sh', content: 'echo hi\n' }]);

  beforeAll(async () => {
    db = await createMigratedTestDatabase({ entities: ArtifactsEntities, migrations: ArtifactsMigrations });
    server = await startArtifactsTestServer({
      dataSource: db.dataSource,
      port: await freePort(),
      unusedPort: await freePort(),
      maxPackageBytes: 64 * MiB,
    });
    client = createArtifactClient(server.url);
    await uploadPackage(client, 'Acme.Web.1.0.0.zip', chunksOf(bigZip), { metadata: deployer });
    await uploadPackage(client, 'Acme.Web.1.1.0-beta.1.tgz', [smallTgz], { metadata: deployer });
    await uploadPackage(client, 'Acme.Api.2.0.0.zip', [buildZip([])], { metadata: deployer });
  });
  afterAll(async () => {
    client.close();
    await server.app.close();
    await db.dispose();
  });

  it('downloads the exact bytes, the record first', async () => {
    const small = await download(client, { packageId: 'Acme.Web', version: '1.1.0-beta.1' });
    expect(small.record).toMatchObject({
      format: 'tar.gz',
      fileName: 'Acme.Web.1.1.0-beta.1.tar.gz',
      sizeBytes: smallTgz.length,
    });
    expect(small).toMatchObject({ sizeBytes: smallTgz.length, sha256: sha256(smallTgz) });
  });

  it('reads the file only as fast as a slow client takes it (30 MiB package, paused client)', async () => {
    const before = liveBufferBytes();
    let heldWhilePaused = 0;
    const big = await download(client, { packageId: 'Acme.Web', version: '1.0.0' }, async () => {
      await sleep(1000);
      heldWhilePaused = liveBufferBytes() - before;
    });

    expect(big).toMatchObject({ sizeBytes: bigZip.length, sha256: sha256(bigZip) });
    expect(big.record?.sha256).toBe(sha256(bigZip));
    // A server that read ahead regardless of the client would hold the whole 30 MiB here.
    expect(heldWhilePaused).toBeLessThan(16 * MiB);
  });

  it('answers NOT_FOUND for an unknown package and INVALID_ARGUMENT for a malformed reference', async () => {
    await expect(download(client, { packageId: 'Acme.Web', version: '9.9.9' })).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
    await expect(
      unary(client.GetPackage.bind(client), { packageId: 'Nope', version: '1.0.0' }),
    ).rejects.toMatchObject({
      code: status.NOT_FOUND,
      details: 'package Nope version 1.0.0 was not found',
    });
    await expect(
      unary(client.GetPackage.bind(client), { packageId: '../etc', version: '1.0.0' }),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
  });

  it('gets one package', async () => {
    const record = await unary(client.GetPackage.bind(client), { packageId: 'Acme.Api', version: '2.0.0' });
    expect(record).toMatchObject({
      packageId: 'Acme.Api',
      version: '2.0.0',
      format: 'zip',
      sizeBytes: 22,
      fileName: 'Acme.Api.2.0.0.zip',
    });
    expect(new Date(record.publishedAt).toISOString()).toBe(record.publishedAt);
  });

  it('lists newest first with a total, filtered by id and paged', async () => {
    const list = (request: Partial<artifactsV1.ListPackagesRequest>): Promise<artifactsV1.PackageList> =>
      unary(client.ListPackages.bind(client), { packageId: '', skip: 0, take: 0, ...request });
    const versions = (page: artifactsV1.PackageList): string[] =>
      page.items.map((item) => `${item.packageId}@${item.version}`);

    expect(versions(await list({}))).toEqual(['Acme.Api@2.0.0', 'Acme.Web@1.1.0-beta.1', 'Acme.Web@1.0.0']);
    const web = await list({ packageId: 'Acme.Web', take: 1 });
    expect({ items: versions(web), total: web.total }).toEqual({
      items: ['Acme.Web@1.1.0-beta.1'],
      total: 2,
    });
    const second = await list({ packageId: 'Acme.Web', skip: 1, take: 1 });
    expect(versions(second)).toEqual(['Acme.Web@1.0.0']);
    await expect(list({ take: -1 })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });

  it('deletes only with BuiltInFeedAdminister, removing the row and then the file, with audit events', async () => {
    const ref = { packageId: 'Acme.Api', version: '2.0.0' };
    await expect(unary(client.DeletePackage.bind(client), ref, deployer)).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    expect(await readdir(server.layout.packagesDir)).toContain('Acme.Api.2.0.0.zip');

    await expect(unary(client.DeletePackage.bind(client), ref, admin)).resolves.toEqual({});
    expect(await readdir(server.layout.packagesDir)).not.toContain('Acme.Api.2.0.0.zip');
    await expect(unary(client.GetPackage.bind(client), ref)).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
    await expect(unary(client.DeletePackage.bind(client), ref, admin)).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });

    const audit = await db.dataSource.query<
      Array<{ action: string; resource_id: string; actor_name: string; client_ip: string }>
    >(
      `SELECT action, resource_id, actor_name, client_ip FROM artifacts_audit_outbox WHERE resource_id = 'Acme.Api@2.0.0' ORDER BY occurred_at`,
    );
    expect(audit).toEqual([
      {
        action: 'package.pushed',
        resource_id: 'Acme.Api@2.0.0',
        actor_name: 'deployer',
        client_ip: '192.0.2.2',
      },
      {
        action: 'package.deleted',
        resource_id: 'Acme.Api@2.0.0',
        actor_name: 'admin',
        client_ip: '192.0.2.9',
      },
    ]);

    // The name is free again once deleted.
    await expect(uploadPackage(client, 'Acme.Api.2.0.0.zip', [buildZip([])])).resolves.toMatchObject({
      version: '2.0.0',
    });
  });
});
