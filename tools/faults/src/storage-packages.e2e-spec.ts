import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

import {
  ApiClient,
  eventually,
  FlotillaCluster,
  mountSmallTmpfs,
  SmallTmpfs,
  startFlotillaCluster,
} from '@flotilla/testing';

import { folderContents, unmountForSure } from './storage-support/mounted-folder';
import {
  publishedPackage,
  TestPackage,
  testPackage,
  UploadKind,
  uploadPackage,
} from './storage-support/package-uploads';
import { watchPing } from './storage-support/ping-watch';
import { storageReportedAs } from './storage-support/storage-diagnostics';
import { cleanUpAll, keepClusterOutput } from './support/spec-cleanup';

const KINDS: UploadKind[] = ['raw', 'multipart'];
/**
 * Each fault stays on while this many pings are answered (250 ms apart): longer than HAProxy needs
 * to take a failing gateway out (two failed checks, 1 s apart).
 */
const PINGS_PER_FAULT = 12;
/** Big enough that a nearly full file system cannot take it. */
const PAYLOAD_BYTES = 256 * 1024;

/**
 * The Packages folder of shared storage read-only, then full (a small tmpfs over it, remounted ro,
 * then filled), on one node behind HAProxy. Uploads of both kinds must say what is wrong with the
 * storage (503 read-only, 507 full), publish nothing, leave no temp file, and work again — same
 * file, same bytes — once the folder is writable. The node's diagnostics report the folder's state;
 * its ping stays 200 all along, so HAProxy keeps the gateway.
 */
describe('uploads to a read-only, then full Packages folder', () => {
  let cluster: FlotillaCluster;
  let token: string;
  let packagesFolder: SmallTmpfs | undefined;
  let ping: ReturnType<typeof watchPing>;
  /** When each fault was on (epoch ms), for the ping check. */
  const faults: { name: string; from: number; to: number }[] = [];
  /** Files of packages published so far: all the folder may hold. */
  const publishedFiles: string[] = [];

  beforeAll(async () => {
    cluster = await startFlotillaCluster({ nodes: 1, redis: false });
    const admin = new ApiClient(cluster.baseUrl);
    const login = await admin.login(cluster.adminUsername, cluster.adminPassword);
    expect(login.status).toBe(200);
    token = login.body.token;
    packagesFolder = await mountSmallTmpfs(join(cluster.sharedStorage, 'Packages'), 4 * 1024 * 1024);
    ping = watchPing(`${cluster.nodes[0].baseUrl}/api/health/ping`);
  }, 240_000);

  afterAll(async () => {
    await cleanUpAll([
      async () => ping?.stop(),
      () => unmountForSure(packagesFolder),
      () => keepClusterOutput(cluster, 'packages'),
      async () => cluster?.stop(),
    ]);
  }, 60_000);

  // Each fault starts from a writable folder with room, even when the spec before it failed midway.
  beforeEach(async () => {
    await packagesFolder?.writable();
    await packagesFolder?.free();
  });

  const packagesOf = (prefix: string): Record<UploadKind, TestPackage> => {
    const suffix = randomUUID().slice(0, 6);
    return {
      raw: testPackage(`${prefix}Raw${suffix}`, '1.0.0', PAYLOAD_BYTES),
      multipart: testPackage(`${prefix}Form${suffix}`, '1.0.0', PAYLOAD_BYTES),
    };
  };

  /** Uploads each package; the answers' status and message. */
  const refusals = async (packages: Record<UploadKind, TestPackage>) => {
    const answers: Record<string, unknown> = {};
    for (const kind of KINDS) {
      const answer = await uploadPackage(cluster.baseUrl, token, kind, packages[kind]);
      answers[kind] = { status: answer.status, message: answer.message };
    }
    return answers;
  };

  /** The status, and a message saying that shared storage is in this state. */
  const refused = (status: number, state: string) => ({
    status,
    message: expect.stringMatching(new RegExp(`shared storage.*${state}`, 'i')) as unknown,
  });

  const expectNothingPublished = async (packages: Record<UploadKind, TestPackage>) => {
    for (const kind of KINDS) {
      expect(await publishedPackage(cluster.baseUrl, token, packages[kind])).toEqual({
        metadata: 404,
        download: 404,
        downloadSha256: undefined,
        listed: false,
      });
    }
  };

  /** Keeps the fault on until the ping watch has seen it for a while. */
  const holdFault = (from: number) =>
    eventually(
      () => Promise.resolve(ping.answeredSince(from) >= PINGS_PER_FAULT || undefined),
      30_000,
      `${PINGS_PER_FAULT} pings during the fault`,
    );

  /** The same files again: published, downloadable byte for byte. */
  const expectUploadsWork = async (packages: Record<UploadKind, TestPackage>) => {
    for (const kind of KINDS) {
      const pkg = packages[kind];
      const answer = await uploadPackage(cluster.baseUrl, token, kind, pkg);
      expect({ kind, status: answer.status, sha256: answer.sha256 }).toEqual({
        kind,
        status: 201,
        sha256: pkg.sha256,
      });
      if (answer.fileName) publishedFiles.push(answer.fileName);
      expect(await publishedPackage(cluster.baseUrl, token, pkg)).toEqual({
        metadata: 200,
        download: 200,
        downloadSha256: pkg.sha256,
        listed: true,
      });
    }
  };

  it('read-only: 503 naming read-only storage, nothing published; writable again, the same uploads work', async () => {
    const folder = packagesFolder as SmallTmpfs;
    const packages = packagesOf('ReadOnly');
    const from = Date.now();
    await folder.readOnly();
    expect(await refusals(packages)).toEqual({
      raw: refused(503, 'read-only'),
      multipart: refused(503, 'read-only'),
    });
    await expectNothingPublished(packages);
    expect(await storageReportedAs(cluster.nodes[0].baseUrl, token, 'Packages', false)).toEqual({
      sharedStorageWritable: false,
      folder: 'Packages',
      folderWritable: false,
      errorCode: 'EROFS',
    });

    await holdFault(from);
    await folder.writable();
    faults.push({ name: 'read-only', from, to: Date.now() });
    expect(await storageReportedAs(cluster.nodes[0].baseUrl, token, 'Packages', true)).toMatchObject({
      sharedStorageWritable: true,
    });
    expect(await folderContents(folder.dir)).toEqual([]);
    await expectUploadsWork(packages);
  }, 60_000);

  it('full: 507 naming full storage, nothing half-published, no temp file left; space freed, the same uploads work', async () => {
    const folder = packagesFolder as SmallTmpfs;
    const packages = packagesOf('Full');
    const from = Date.now();
    await folder.fill();
    expect(await refusals(packages)).toEqual({ raw: refused(507, 'full'), multipart: refused(507, 'full') });
    await expectNothingPublished(packages);
    expect(await storageReportedAs(cluster.nodes[0].baseUrl, token, 'Packages', false)).toEqual({
      sharedStorageWritable: false,
      folder: 'Packages',
      folderWritable: false,
      errorCode: 'ENOSPC',
    });

    await holdFault(from);
    await folder.free();
    faults.push({ name: 'full', from, to: Date.now() });
    expect(await storageReportedAs(cluster.nodes[0].baseUrl, token, 'Packages', true)).toMatchObject({
      sharedStorageWritable: true,
    });
    expect(await folderContents(folder.dir)).toEqual([...publishedFiles].sort());
    await expectUploadsWork(packages);
  }, 60_000);

  it('the gateway answered every ping with 200 through both faults', async () => {
    const pings = await ping.stop();
    const at = (time: number) => new Date(time).toISOString();
    expect(
      pings.filter((one) => one.outcome !== 'HTTP 200').map((one) => `${at(one.at)} ${one.outcome}`),
    ).toEqual([]);
    // The watch really covered both faults (not just the time around them).
    expect(
      faults.map((fault) => ({
        fault: fault.name,
        pingsDuringIt:
          pings.filter((one) => one.at >= fault.from && one.at <= fault.to).length >= PINGS_PER_FAULT,
      })),
    ).toEqual([
      { fault: 'read-only', pingsDuringIt: true },
      { fault: 'full', pingsDuringIt: true },
    ]);
  });
});
