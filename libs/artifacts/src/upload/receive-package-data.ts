import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { status } from '@grpc/grpc-js';

import type { artifactsV1 } from '@flotilla/contracts';
import { FailureReason, rpcErrorWithReason, RpcErrors } from '@flotilla/platform/grpc';

import { assertArchiveSignature, SIGNATURE_LENGTH } from '../file-names/archive-signature';
import type { PackageFormat } from '../file-names/package-file-name';

export interface ReceivedPackageData {
  sizeBytes: number;
  sha256: string;
}

export interface ReceiveOptions {
  format: PackageFormat;
  maxBytes: number;
  /** Aborted when the client cancels: stops the transfer and fails it. */
  signal: AbortSignal;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${bytes} bytes`;
}

/**
 * Streams the data messages that follow an upload's header into `sink`, hashing and counting
 * as they pass. Each message is pulled only when the sink has room (pipeline + async
 * iteration), so a slow disk slows the sender instead of filling memory. Refuses uploads over
 * `maxBytes`, empty ones and ones whose first bytes are not of the claimed format.
 */
export async function receivePackageData(
  messages: AsyncIterable<artifactsV1.UploadPackageChunk>,
  sink: Writable,
  options: ReceiveOptions,
): Promise<ReceivedPackageData> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  let head = Buffer.alloc(0);

  async function* dataOf(source: AsyncIterable<artifactsV1.UploadPackageChunk>): AsyncGenerator<Buffer> {
    for await (const message of source) {
      if (message.header)
        throw RpcErrors.invalidArgument('Only the first upload message may carry the header');
      if (!message.data || message.data.length === 0) continue;
      const data = Buffer.isBuffer(message.data) ? message.data : Buffer.from(message.data);
      sizeBytes += data.length;
      if (sizeBytes > options.maxBytes) {
        throw rpcErrorWithReason(
          status.RESOURCE_EXHAUSTED,
          `The package is larger than the limit of ${formatBytes(options.maxBytes)}`,
          FailureReason.TooLarge,
        );
      }
      if (head.length < SIGNATURE_LENGTH) {
        head = Buffer.concat([head, data.subarray(0, SIGNATURE_LENGTH - head.length)]);
        if (head.length === SIGNATURE_LENGTH) assertArchiveSignature(options.format, head);
      }
      hash.update(data);
      yield data;
    }
  }

  await pipeline(messages, dataOf, sink, { signal: options.signal });
  // A cancelled call may simply stop delivering messages; never take that for the end of the data.
  options.signal.throwIfAborted();
  if (sizeBytes === 0) throw RpcErrors.invalidArgument('The uploaded package is empty');
  // Shorter than a signature: check what there is (it cannot be a valid archive).
  if (head.length < SIGNATURE_LENGTH) assertArchiveSignature(options.format, head);
  return { sizeBytes, sha256: hash.digest('hex') };
}
