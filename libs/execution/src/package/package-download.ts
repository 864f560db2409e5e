import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { artifactsV1 } from '@flotilla/contracts';

import { PackageDownloadChunk, PackageSource } from '../collaborators/package-source';

/**
 * Streams a package from artifact-store into `destination`, hashing as it goes, and refuses it
 * when its SHA-256 or size differs from the package record sent ahead of the data.
 */
export async function downloadVerifiedPackage(
  source: PackageSource,
  ref: artifactsV1.PackageRef,
  destination: string,
  signal: AbortSignal,
): Promise<artifactsV1.Package> {
  const label = `${ref.packageId} ${ref.version}`;
  const chunks = source.download(ref)[Symbol.asyncIterator]();
  const first = await chunks.next();
  const record = first.done ? undefined : first.value.package;
  if (!record) {
    await chunks.return?.();
    throw new Error(`Package ${label}: the download did not start with the package record`);
  }

  const hash = createHash('sha256');
  let bytes = 0;
  const data = Readable.from(dataOf(chunks, label));
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(data, hashing, createWriteStream(destination, { flags: 'wx' }), { signal });

  const actual = hash.digest('hex');
  if (actual !== record.sha256.toLowerCase()) {
    throw new Error(
      `Package ${label} failed its integrity check: expected sha256 ${record.sha256}, got ${actual}`,
    );
  }
  if (record.sizeBytes > 0 && bytes !== record.sizeBytes) {
    throw new Error(
      `Package ${label} failed its integrity check: expected ${record.sizeBytes} bytes, got ${bytes}`,
    );
  }
  return record;
}

async function* dataOf(chunks: AsyncIterator<PackageDownloadChunk>, label: string): AsyncGenerator<Buffer> {
  try {
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      if (next.value.package)
        throw new Error(`Package ${label}: a second package record arrived mid-download`);
      if (next.value.data && next.value.data.length > 0) {
        const { data } = next.value;
        yield Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      }
    }
  } finally {
    // Ends the gRPC call when the copy stops early (error, cancel).
    await chunks.return?.();
  }
}
