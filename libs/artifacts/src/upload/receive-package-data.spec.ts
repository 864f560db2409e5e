import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import type { artifactsV1 } from '@flotilla/contracts';
import { buildZip } from '@flotilla/testing';

import { receivePackageData } from './receive-package-data';

const CHUNK = 64 * 1024;

/** Data messages of `total` bytes, produced lazily; `produced` counts what the receiver pulled. */
function lazyMessages(
  head: Buffer,
  total: number,
): { messages: AsyncIterable<artifactsV1.UploadPackageChunk>; produced: () => number } {
  let produced = 0;
  // A bare async iterator, not a stream: nothing reads ahead, so `produced` is exactly what was pulled.
  const next = (): Promise<IteratorResult<artifactsV1.UploadPackageChunk>> => {
    if (produced >= total) return Promise.resolve({ done: true, value: undefined });
    const size = Math.min(CHUNK, total - produced);
    const data = Buffer.alloc(size, produced % 251);
    if (produced === 0) head.copy(data);
    produced += size;
    return Promise.resolve({ done: false, value: { data } });
  };
  return { messages: { [Symbol.asyncIterator]: () => ({ next }) }, produced: () => produced };
}

/** A sink that takes `delayMs` per chunk and keeps only a running hash, like a slow disk. */
function slowSink(delayMs: number): { sink: Writable; consumed: () => number; digest: () => string } {
  const hash = createHash('sha256');
  let consumed = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      consumed += chunk.length;
      setTimeout(callback, delayMs);
    },
  });
  return { sink, consumed: () => consumed, digest: () => hash.digest('hex') };
}

function codeOf(error: unknown): unknown {
  return error instanceof RpcException ? (error.getError() as { code: unknown }).code : error;
}

describe(receivePackageData.name, () => {
  const zipHead = buildZip([{ name: 'a.txt', content: 'a' }]).subarray(0, 4);
  const signal = new AbortController().signal;

  it('pulls data only as fast as a slow sink takes it, and hashes and counts every byte', async () => {
    const total = 8 * 1024 * 1024;
    const source = lazyMessages(zipHead, total);
    const target = slowSink(2);
    let maxAhead = 0;
    const probe = setInterval(
      () => (maxAhead = Math.max(maxAhead, source.produced() - target.consumed())),
      1,
    );

    const received = await receivePackageData(source.messages, target.sink, {
      format: 'zip',
      maxBytes: total,
      signal,
    });
    clearInterval(probe);

    expect(received.sizeBytes).toBe(total);
    expect(received.sha256).toBe(target.digest());
    expect(target.consumed()).toBe(total);
    // Without backpressure the whole 8 MiB would be pulled while the sink has taken a few chunks.
    expect(maxAhead).toBeLessThan(1024 * 1024);
  });

  it('stops with RESOURCE_EXHAUSTED as soon as the limit is passed, without reading the rest', async () => {
    const source = lazyMessages(zipHead, 10 * CHUNK);
    const target = slowSink(0);
    const outcome = receivePackageData(source.messages, target.sink, {
      format: 'zip',
      maxBytes: 3 * CHUNK + 1,
      signal,
    });
    await expect(outcome.catch(codeOf)).resolves.toBe(status.RESOURCE_EXHAUSTED);
    expect(source.produced()).toBe(4 * CHUNK);
  });

  it('refuses data whose first bytes are not of the claimed format, before reading on', async () => {
    const source = lazyMessages(Buffer.from('text'), 10 * CHUNK);
    const outcome = receivePackageData(source.messages, slowSink(0).sink, {
      format: 'tar.gz',
      maxBytes: 100 * CHUNK,
      signal,
    });
    await expect(outcome).rejects.toThrow(/not a valid tar\.gz/);
    expect(source.produced()).toBe(CHUNK);
  });

  it('checks the signature across tiny first messages', async () => {
    async function* split(): AsyncGenerator<artifactsV1.UploadPackageChunk> {
      for (const byte of zipHead) {
        await sleep(0);
        yield { data: Buffer.from([byte]) };
      }
      yield { data: Buffer.from('rest') };
    }
    const received = await receivePackageData(split(), slowSink(0).sink, {
      format: 'zip',
      maxBytes: 100,
      signal,
    });
    expect(received.sizeBytes).toBe(8);
  });

  it('fails when cancelled, even if the source then just stops', async () => {
    const cancellation = new AbortController();
    function* stopsOnCancel(): Generator<artifactsV1.UploadPackageChunk> {
      yield { data: Buffer.from(zipHead) };
      cancellation.abort(new Error('client cancelled'));
    }
    const outcome = receivePackageData(Readable.from(stopsOnCancel()), slowSink(0).sink, {
      format: 'zip',
      maxBytes: 100,
      signal: cancellation.signal,
    });
    await expect(outcome).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('refuses an empty upload and a second header', async () => {
    const none = Readable.from([{ data: Buffer.alloc(0) }]);
    await expect(
      receivePackageData(none, slowSink(0).sink, { format: 'zip', maxBytes: 100, signal }),
    ).rejects.toThrow(/empty/);
    const secondHeader = Readable.from([{ header: { fileName: 'a.1.0.0.zip' } }]);
    const outcome = receivePackageData(secondHeader, slowSink(0).sink, {
      format: 'zip',
      maxBytes: 100,
      signal,
    });
    await expect(outcome.catch(codeOf)).resolves.toBe(status.INVALID_ARGUMENT);
  });
});
