import { request as httpRequest } from 'node:http';

import { MAX_UPLOAD_CHUNK_BYTES } from '../lib/packages/package-upload';
import { ADMIN_TOKEN, DOWNLOAD_BYTES, downloadByte, VIEWER_TOKEN } from './backend-doubles';
import { GatewayHarness, startGatewayHarness } from './gateway-harness';
import { call, eventually, streamUpload } from './http-client';

const MiB = 1024 * 1024;
const LIMIT = 24 * MiB;
const auth = { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/octet-stream' };
const sum = (sizes: number[]): number => sizes.reduce((total, size) => total + size, 0);

function multipartBody(
  boundary: string,
  fileName: string | undefined,
  content: Buffer,
  field = 'file',
): Buffer {
  const disposition = fileName
    ? `form-data; name="${field}"; filename="${fileName}"`
    : `form-data; name="${field}"`;
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n`),
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: ${disposition}\r\nContent-Type: application/zip\r\n\r\n`,
    ),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

describe('gateway package streaming', () => {
  let sut: GatewayHarness;

  beforeAll(async () => {
    sut = await startGatewayHarness({ maxPackageBytes: LIMIT });
  });

  afterAll(async () => {
    await sut?.close();
  });

  it('streams a 20 MB raw upload to UploadPackage in chunks of at most 64 KiB while it is still arriving', async () => {
    const total = 20 * MiB;
    const log = sut.backends.log;
    const uploadsBefore = log.uploads.length;
    // The client stops at 10 MiB until the service has received 5 MiB: a gateway that buffered
    // the body before calling gRPC would never get there and the test would time out.
    const upload = streamUpload(sut.port, '/api/packages/raw?fileName=App.1.0.0.zip', auth, total, {
      bytes: 10 * MiB,
      until: () =>
        eventually(
          () => sum(log.uploads[uploadsBefore]?.chunkSizes ?? []) >= 5 * MiB,
          10_000,
          '5 MiB at the service',
        ),
    });
    const response = await upload.response;
    expect(response).toMatchObject({ status: 201, body: { fileName: 'App.1.0.0.zip', sizeBytes: total } });
    const record = log.uploads[uploadsBefore];
    expect(record.fileName).toBe('App.1.0.0.zip');
    expect(sum(record.chunkSizes)).toBe(total);
    expect(Math.max(...record.chunkSizes)).toBeLessThanOrEqual(MAX_UPLOAD_CHUNK_BYTES);
    expect(record.chunkSizes.length).toBeGreaterThanOrEqual(total / MAX_UPLOAD_CHUNK_BYTES);
  });

  it('stops reading the body while the service is not reading (backpressure)', async () => {
    const log = sut.backends.log;
    let openGate = (): void => undefined;
    log.uploadGate = new Promise<void>((resolve) => (openGate = resolve));
    const upload = streamUpload(sut.port, '/api/packages/raw?fileName=App.1.0.0.zip', auth, 20 * MiB);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const sentWhileBlocked = upload.bytesWritten();
    log.uploadGate = undefined;
    openGate();
    await expect(upload.response).resolves.toMatchObject({ status: 201, body: { sizeBytes: 20 * MiB } });
    // Only socket and HTTP/2 window buffers may hold data; never the whole package.
    expect(sentWhileBlocked).toBeLessThan(12 * MiB);
  });

  it('answers 413 past FLOTILLA_MAX_PACKAGE_BYTES and cancels the gRPC call so nothing is published', async () => {
    const log = sut.backends.log;
    const uploadsBefore = log.uploads.length;
    const upload = streamUpload(sut.port, '/api/packages/raw?fileName=App.1.0.0.zip', auth, 40 * MiB);
    const response = await upload.response;
    expect(response).toMatchObject({ status: 413, body: { statusCode: 413, error: 'Payload Too Large' } });
    expect((response.body as { message: string }).message).toContain('FLOTILLA_MAX_PACKAGE_BYTES');
    await eventually(
      () => log.uploads[uploadsBefore]?.cancelled === true,
      5_000,
      'the upload call to be cancelled',
    );
    expect(upload.bytesWritten()).toBeLessThan(40 * MiB);
  });

  it('refuses a body declared larger than the limit before calling the service', async () => {
    const uploadsBefore = sut.backends.log.uploads.length;
    const status = await new Promise<number>((resolve, reject) => {
      const headers = { ...auth, 'Content-Length': String(LIMIT + 1) };
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: sut.port,
          path: '/api/packages/raw?fileName=A.1.zip',
          method: 'POST',
          headers,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write(Buffer.alloc(1024));
    });
    expect(status).toBe(413);
    expect(sut.backends.log.uploads.length).toBe(uploadsBefore);
  });

  it('lets a client that sends the whole oversized body read its 413 instead of a broken pipe', async () => {
    // fetch writes the full body before reading the answer; the gateway must keep reading
    // (and discarding) long enough for that, or the client fails with EPIPE.
    const body = new Uint8Array(LIMIT + 2 * MiB);
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await fetch(`http://127.0.0.1:${sut.port}/api/packages/raw?fileName=Big.1.0.0.zip`, {
        method: 'POST',
        headers: auth,
        body,
      });
      expect(response.status).toBe(413);
      await response.arrayBuffer();
    }
  });

  it('maps a duplicate package to 409 even while the body is still arriving', async () => {
    const upload = streamUpload(sut.port, '/api/packages/raw?fileName=Dup.1.0.0.zip', auth, 8 * MiB);
    await expect(upload.response).resolves.toMatchObject({
      status: 409,
      body: { message: 'Package Dup 1.0.0 already exists' },
    });
  });

  it('needs BuiltInFeedPush and a fileName', async () => {
    const viewer = { 'X-Octopus-ApiKey': VIEWER_TOKEN, 'Content-Type': 'application/octet-stream' };
    await expect(
      streamUpload(sut.port, '/api/packages/raw?fileName=A.1.zip', viewer, 1024).response,
    ).resolves.toMatchObject({ status: 403 });
    await expect(streamUpload(sut.port, '/api/packages/raw', auth, 1024).response).resolves.toMatchObject({
      status: 400,
    });
  });

  it('streams a multipart upload, naming the package after the file part', async () => {
    const content = Buffer.alloc(3 * MiB, 9);
    const body = multipartBody('xyzBOUNDARY', 'Web.2.0.0.zip', content);
    const response = await call(sut.baseUrl, 'POST', '/api/packages', {
      token: ADMIN_TOKEN,
      rawBody: body.toString('latin1'),
      contentType: 'multipart/form-data; boundary=xyzBOUNDARY',
    });
    expect(response).toMatchObject({ status: 201, body: { fileName: 'Web.2.0.0.zip', sizeBytes: 3 * MiB } });
    const record = sut.backends.log.uploads.at(-1);
    expect(Math.max(...(record?.chunkSizes ?? [Infinity]))).toBeLessThanOrEqual(MAX_UPLOAD_CHUNK_BYTES);
  });

  it('answers 400 for multipart without a file part, without a boundary, or cut short', async () => {
    const noFile = multipartBody('b1', 'x.zip', Buffer.from('abc'), 'other');
    const post = (rawBody: string, contentType: string) =>
      call(sut.baseUrl, 'POST', '/api/packages', { token: ADMIN_TOKEN, rawBody, contentType });
    await expect(post(noFile.toString('latin1'), 'multipart/form-data; boundary=b1')).resolves.toMatchObject({
      status: 400,
      body: { message: 'Missing the "file" file part' },
    });
    await expect(post('hello', 'multipart/form-data')).resolves.toMatchObject({ status: 400 });
    const uploadsBefore = sut.backends.log.uploads.length;
    const truncated = multipartBody('b2', 'Cut.1.0.0.zip', Buffer.alloc(200_000, 1)).subarray(0, 150_000);
    await expect(
      post(truncated.toString('latin1'), 'multipart/form-data; boundary=b2'),
    ).resolves.toMatchObject({ status: 400 });
    // Each transfer opens its own connection, so the cut upload may be cancelled before its call
    // reached the service; either way nothing is published. A moment's wait catches a call that
    // would arrive late and complete.
    const cutUploads = () => sut.backends.log.uploads.slice(uploadsBefore);
    await eventually(
      () => cutUploads().every((upload) => upload.cancelled),
      5_000,
      'the cut upload cancelled',
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(cutUploads().filter((upload) => !upload.cancelled)).toEqual([]);
  });

  it('streams a download with the record in the headers', async () => {
    const response = await fetch(`${sut.baseUrl}/api/packages/App/1.0.0/raw`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('content-length')).toBe(String(DOWNLOAD_BYTES));
    expect(response.headers.get('content-disposition')).toContain('filename="App.1.0.0.zip"');
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.length).toBe(DOWNLOAD_BYTES);
    const wrong = bytes.findIndex((byte, index) => byte !== downloadByte(index));
    expect(wrong).toBe(-1);
  });

  it('answers 404 for a missing package download and cancels the call when the client leaves', async () => {
    await expect(
      call(sut.baseUrl, 'GET', '/api/packages/Nope/1.0.0/raw', { token: ADMIN_TOKEN }),
    ).resolves.toMatchObject({
      status: 404,
      body: { message: 'Package Nope 1.0.0 was not found' },
    });
    const abort = new AbortController();
    const response = await fetch(`${sut.baseUrl}/api/packages/App/1.0.0/raw`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    abort.abort();
    await eventually(() => sut.backends.log.downloadCancelled, 5_000, 'the download call cancelled');
  });
});
