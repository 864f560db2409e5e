import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { NodeDiagnostics, Package, PagedList } from '@flotilla/api-interfaces';
import { buildZip, mountSmallTmpfs, SmallTmpfs } from '@flotilla/testing';

import { ArtifactStoreProcess, startArtifactStoreProcess } from './artifact-store-process.test-support';
import { ADMIN_TOKEN } from './backend-doubles';
import { GatewayHarness, startGatewayHarness } from './gateway-harness';
import { call, streamUpload } from './http-client';

const MiB = 1024 * 1024;
const READ_ONLY_MESSAGE =
  'Shared storage is read-only (Packages folder); the package was not stored. ' +
  'Ask your administrator to make it writable again.';
const FULL_MESSAGE =
  'Shared storage is full (Packages folder: no space left on device); the package was not stored. ' +
  'Free space or ask your administrator.';
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** POST /api/packages/raw with the whole body at once, answering status, headers and JSON. */
async function uploadRaw(baseUrl: string, fileName: string, content: Buffer) {
  const response = await fetch(`${baseUrl}/api/packages/raw?fileName=${encodeURIComponent(fileName)}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/octet-stream' },
    body: new Uint8Array(content),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as { message?: string; sha256?: string },
  };
}

/** POST /api/packages as a browser form would. */
async function uploadMultipart(baseUrl: string, fileName: string, content: Buffer) {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(content)]), fileName);
  const response = await fetch(`${baseUrl}/api/packages`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    body: form,
  });
  return { status: response.status, body: (await response.json()) as { message?: string } };
}

describe('package uploads through the gateway to a real artifact store on read-only and full storage', () => {
  let root: string;
  let packages: SmallTmpfs;
  let store: ArtifactStoreProcess;
  let sut: GatewayHarness;
  const existing = buildZip([{ name: 'a.txt', content: 'published while storage was healthy' }]);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'flotilla-gateway-storage-'));
    // A real 1 MiB file system: root ignores chmod, a read-only mount or a full disk it cannot.
    packages = await mountSmallTmpfs(join(root, 'Packages'), MiB);
    store = await startArtifactStoreProcess(root);
    sut = await startGatewayHarness({
      maxPackageBytes: 32 * MiB,
      env: { FLOTILLA_ARTIFACTS_GRPC_URL: store.url, FLOTILLA_SHARED_STORAGE: root },
    });
    const first = await uploadRaw(sut.baseUrl, 'Acme.Existing.1.0.0.zip', existing);
    expect(first.status).toBe(201);
  }, 240_000);

  afterAll(async () => {
    await sut?.close();
    await store?.stop();
    await packages?.unmount();
    await rm(root, { recursive: true, force: true });
  });

  const packageFiles = async (): Promise<string[]> =>
    (await readdir(packages.dir)).filter((name) => !name.startsWith('.filler')).sort();
  const listed = async (): Promise<string[]> => {
    const response = await call(sut.baseUrl, 'GET', '/api/packages', { token: ADMIN_TOKEN });
    return (response.body as PagedList<Package>).items.map((p) => `${p.packageId}@${p.version}`).sort();
  };
  const diagnostics = async (): Promise<NodeDiagnostics> => {
    const response = await call(sut.baseUrl, 'GET', '/api/health/diagnostics', { token: ADMIN_TOKEN });
    expect(response.status).toBe(200);
    return response.body as NodeDiagnostics;
  };
  /** A chunked raw upload of `zip` that keeps sending (with backpressure) until it is answered. */
  const streamZip = (fileName: string, zip: Buffer) =>
    streamUpload(
      sut.port,
      `/api/packages/raw?fileName=${fileName}`,
      { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/octet-stream' },
      zip.length,
      undefined,
      zip,
    );
  const unwritable = (d: NodeDiagnostics) => d.sharedStorage.folders.filter((f) => !f.writable);

  describe('while Packages is read-only', () => {
    beforeAll(async () => {
      await packages.readOnly();
    });
    afterAll(async () => {
      await packages.writable();
    });

    it('answers a raw upload with 503, the storage message and Retry-After', async () => {
      const response = await uploadRaw(
        sut.baseUrl,
        'Acme.Ro.1.0.0.zip',
        buildZip([{ name: 'b', content: 'c' }]),
      );
      expect(response).toEqual({
        status: 503,
        retryAfter: '30',
        body: { statusCode: 503, error: 'Service Unavailable', message: READ_ONLY_MESSAGE },
      });
    });

    it('answers a multipart upload the same way', async () => {
      const response = await uploadMultipart(
        sut.baseUrl,
        'Acme.Ro.1.0.0.zip',
        buildZip([{ name: 'b', content: 'c' }]),
      );
      expect(response.status).toBe(503);
      expect(response.body.message).toBe(READ_ONLY_MESSAGE);
    });

    it('lets a client still sending 4 MiB read the 503 instead of a broken pipe', async () => {
      const big = buildZip([{ name: 'payload.bin', content: randomBytes(4 * MiB) }]);
      const upload = streamZip('Acme.RoBig.1.0.0.zip', big);
      const response = await upload.response;
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ message: READ_ONLY_MESSAGE });
      expect(response.headers['retry-after']).toBe('30');
    });

    it('still serves downloads of what was published', async () => {
      const response = await fetch(`${sut.baseUrl}/api/packages/Acme.Existing/1.0.0/raw`, {
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(response.status).toBe(200);
      expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(sha256(existing));
    });

    it('shows Packages as not writable in the node diagnostics while the ping stays 200', async () => {
      const seen = await diagnostics();
      expect(seen.nodeName).toBe('gateway-test-node');
      expect(seen.sharedStorage.writable).toBe(false);
      expect(unwritable(seen)).toEqual([
        { folder: 'Packages', writable: false, errorCode: 'EROFS', error: 'read-only file system' },
      ]);
      const ping = await call(sut.baseUrl, 'GET', '/api/health/ping');
      expect(ping.status).toBe(200);
    });

    it('published nothing', async () => {
      expect(await listed()).toEqual(['Acme.Existing@1.0.0']);
      expect(await packageFiles()).toEqual(['Acme.Existing.1.0.0.zip']);
    });
  });

  describe('while Packages is full', () => {
    it('answers an upload into a full folder with 507 and the storage message, no Retry-After', async () => {
      await packages.fill();
      try {
        const response = await uploadRaw(
          sut.baseUrl,
          'Acme.Full.1.0.0.zip',
          buildZip([{ name: 'b', content: 'c' }]),
        );
        expect(response).toEqual({
          status: 507,
          retryAfter: null,
          body: { statusCode: 507, error: 'Insufficient Storage', message: FULL_MESSAGE },
        });
        // The probe result of the read-only test is reused for a few seconds; wait it out.
        await sleep(5_100);
        expect(unwritable(await diagnostics())).toEqual([
          { folder: 'Packages', writable: false, errorCode: 'ENOSPC', error: 'no space left on device' },
        ]);
        expect((await call(sut.baseUrl, 'GET', '/api/health/ping')).status).toBe(200);
      } finally {
        await packages.free();
      }
    });

    it('answers 507 when the folder fills up part-way through a 3 MiB upload the client is still sending', async () => {
      const big = buildZip([{ name: 'payload.bin', content: randomBytes(3 * MiB) }]);
      const response = await streamZip('Acme.Big.1.0.0.zip', big).response;
      expect(response.status).toBe(507);
      expect(response.body).toEqual({
        statusCode: 507,
        error: 'Insufficient Storage',
        message: FULL_MESSAGE,
      });
      expect(response.headers['retry-after']).toBeUndefined();
    });

    it('published nothing and left no temp file', async () => {
      expect(await listed()).toEqual(['Acme.Existing@1.0.0']);
      for (let attempt = 0; attempt < 50 && (await packageFiles()).length > 1; attempt++) await sleep(100);
      expect(await packageFiles()).toEqual(['Acme.Existing.1.0.0.zip']);
    });
  });

  it('takes the same upload once storage is healthy again', async () => {
    const content = buildZip([{ name: 'b', content: 'after the storage came back' }]);
    const response = await uploadRaw(sut.baseUrl, 'Acme.Full.1.0.0.zip', content);
    expect(response.status).toBe(201);
    expect(response.body.sha256).toBe(sha256(content));
    expect(await listed()).toEqual(['Acme.Existing@1.0.0', 'Acme.Full@1.0.0']);
  });
});
