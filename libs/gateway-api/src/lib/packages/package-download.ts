import { Injectable } from '@nestjs/common';
import type { Response } from 'express';

import { artifactsV1 } from '@flotilla/contracts';
import { CallerIdentity, identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients } from '../grpc/backend-clients';
import { firstEvent } from './stream-waits';

/** RFC 6266 header; the quoted fallback is made safe, the UTF-8 form carries the real name. */
export function contentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/**
 * Streams ArtifactService.DownloadPackage into an HTTP response. The next gRPC message is only
 * read once the response accepted the previous one; a client that goes away cancels the call.
 * Errors before the first message (e.g. NOT_FOUND) are thrown for the error filter.
 */
@Injectable()
export class PackageDownloader {
  constructor(private readonly backends: BackendClients) {}

  async download(ref: artifactsV1.PackageRef, identity: CallerIdentity, response: Response): Promise<void> {
    const call = this.backends.rawArtifacts().DownloadPackage(ref, identityToMetadata(identity));
    const messages = call[Symbol.asyncIterator]() as AsyncIterator<artifactsV1.DownloadPackageChunk>;
    const first = await messages.next();
    const record = first.done ? undefined : first.value.package;
    if (!record) {
      call.cancel();
      throw new Error('The artifact service started a download without the package record');
    }
    response.status(200);
    response.setHeader('Content-Type', 'application/octet-stream');
    response.setHeader('Content-Disposition', contentDisposition(record.fileName));
    response.setHeader('Content-Length', String(record.sizeBytes));
    const cancelIfUnfinished = (): void => {
      if (!response.writableFinished) call.cancel();
    };
    response.on('close', cancelIfUnfinished);
    try {
      for (;;) {
        const next = await messages.next();
        if (next.done) break;
        const data = next.value.data;
        if (data && data.length > 0 && !response.write(data)) {
          await firstEvent(response, ['drain', 'close']);
        }
      }
      response.end();
    } catch {
      // Headers are gone; cutting the connection short tells the client the file is incomplete.
      response.destroy();
    } finally {
      response.off('close', cancelIfUnfinished);
    }
  }
}
