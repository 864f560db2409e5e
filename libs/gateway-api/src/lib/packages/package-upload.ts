import type { Readable } from 'node:stream';

import { BadRequestException, Injectable, PayloadTooLargeException } from '@nestjs/common';
import type { ClientWritableStream, ServiceError } from '@grpc/grpc-js';

import { artifactsV1 } from '@flotilla/contracts';
import { CallerIdentity, identityToMetadata } from '@flotilla/platform/grpc';

import { asError } from '../common/as-error';
import { BackendClients } from '../grpc/backend-clients';

/** gRPC messages stay well below the channel's cap and keep memory per upload small. */
export const MAX_UPLOAD_CHUNK_BYTES = 64 * 1024;

export class UploadInterruptedError extends BadRequestException {
  constructor() {
    super('The upload ended before the whole body arrived');
  }
}

export function tooLarge(maxBytes: number): PayloadTooLargeException {
  return new PayloadTooLargeException(
    `Package exceeds the maximum size of ${maxBytes} bytes (FLOTILLA_MAX_PACKAGE_BYTES)`,
  );
}

/**
 * Streams a package from an HTTP body to ArtifactService.UploadPackage. The body is paused whenever
 * gRPC's send buffer is full, so memory per upload stays at a few chunks whatever the package size.
 * Over the size limit, or on any failure, the call is cancelled so nothing is published.
 */
@Injectable()
export class PackageUploader {
  constructor(private readonly backends: BackendClients) {}

  async upload(
    source: Readable,
    fileName: string,
    maxBytes: number,
    identity: CallerIdentity,
  ): Promise<artifactsV1.Package> {
    let call: ClientWritableStream<artifactsV1.UploadPackageChunk> | undefined;
    const result = new Promise<artifactsV1.Package>((resolve, reject) => {
      call = this.backends
        .rawArtifacts()
        .UploadPackage(identityToMetadata(identity), (error: ServiceError | null, value) => {
          if (error) reject(error);
          else if (value) resolve(value);
          else reject(new Error('The artifact service answered an upload without its package'));
        });
    });
    if (!call) throw new Error('UploadPackage did not start a call');
    const upload = call;
    try {
      upload.write({ header: { fileName } });
      await pumpBody(source, upload, maxBytes, result);
    } catch (error) {
      upload.cancel();
      result.catch(() => undefined);
      throw error;
    }
    upload.end();
    return result;
  }
}

/** Copies the body into the call in ≤64 KiB messages, pausing the body while gRPC is busy. */
function pumpBody(
  source: Readable,
  call: ClientWritableStream<artifactsV1.UploadPackageChunk>,
  maxBytes: number,
  result: Promise<artifactsV1.Package>,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let total = 0;
    let settled = false;
    const resume = (): void => {
      source.resume();
    };
    const settle = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', settle);
      source.off('close', onClose);
      call.off('drain', resume);
      if (error === undefined) resolve(total);
      else {
        // Stop reading; the controller answers with the error and discards the rest of the body.
        source.pause();
        reject(asError(error));
      }
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > maxBytes) return settle(tooLarge(maxBytes));
      let writable = true;
      for (let offset = 0; offset < chunk.length; offset += MAX_UPLOAD_CHUNK_BYTES) {
        writable = call.write({ data: chunk.subarray(offset, offset + MAX_UPLOAD_CHUNK_BYTES) }) && writable;
      }
      if (!writable) {
        source.pause();
        call.once('drain', resume);
      }
    };
    const onEnd = (): void => settle();
    const onClose = (): void => settle(new UploadInterruptedError());
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', settle);
    source.once('close', onClose);
    // The artifact service may refuse early (duplicate, bad name): stop reading at once.
    result.then(
      () => settle(new Error('The artifact service answered before the upload ended')),
      (error: unknown) => settle(error),
    );
  });
}
