import type { Writable } from 'node:stream';

import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { Metadata, ServerWritableStream } from '@grpc/grpc-js';
import { EMPTY, Observable } from 'rxjs';

import { auditV1 } from '@flotilla/contracts';
import { identityFromMetadata } from '@flotilla/platform/grpc';

import { ArchiveListing, AuditArchivesService, RetentionSetting } from './audit-archives.service';

const SERVICE = auditV1.AUDIT_SERVICE_NAME;

function toRetention(setting: RetentionSetting): auditV1.RetentionSetting {
  return { days: setting.days, changedAt: setting.changedAt.toISOString(), changedBy: setting.changedBy };
}

function toArchive(archive: ArchiveListing): auditV1.AuditArchive {
  return {
    day: archive.day,
    file: archive.file,
    manifestFile: archive.manifestFile,
    count: archive.count,
    hasSequence: archive.firstSequence !== null,
    firstSequence: archive.firstSequence ?? 0,
    lastSequence: archive.lastSequence ?? 0,
    sha256: archive.sha256,
    createdAt: archive.createdAt.toISOString(),
    deletableFrom: archive.deletableFrom.toISOString(),
    fileDeletedAt: archive.fileDeletedAt?.toISOString() ?? '',
  };
}

/** Writes one message, waiting for 'drain' when the call's buffer is full; rejects once it closed. */
async function send<T>(call: Writable, message: T): Promise<void> {
  if (call.destroyed) throw new Error('the call closed before all data was sent');
  if (call.write(message)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (error?: Error): void => {
      call.off('drain', onDrain);
      call.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(new Error('the call closed before all data was sent'));
    call.on('drain', onDrain);
    call.on('close', onClose);
  });
}

/** AuditService's retention and archive methods; decisions live in AuditArchivesService. */
@Controller()
export class AuditArchiveController {
  constructor(@Inject(AuditArchivesService) private readonly archives: AuditArchivesService) {}

  @GrpcMethod(SERVICE, 'GetRetention')
  async getRetention(
    _request: auditV1.GetRetentionRequest,
    metadata?: Metadata,
  ): Promise<auditV1.RetentionSetting> {
    return toRetention(await this.archives.retention(identityFromMetadata(metadata)));
  }

  @GrpcMethod(SERVICE, 'SetRetention')
  async setRetention(
    request: auditV1.SetRetentionRequest,
    metadata?: Metadata,
  ): Promise<auditV1.RetentionSetting> {
    return toRetention(await this.archives.setRetention(identityFromMetadata(metadata), request.days));
  }

  @GrpcMethod(SERVICE, 'ListArchives')
  async listArchives(
    _request: auditV1.ListArchivesRequest,
    metadata?: Metadata,
  ): Promise<auditV1.ArchiveList> {
    return { items: (await this.archives.list(identityFromMetadata(metadata))).map(toArchive) };
  }

  @GrpcMethod(SERVICE, 'DeleteArchive')
  async deleteArchive(
    request: auditV1.DeleteArchiveRequest,
    metadata?: Metadata,
  ): Promise<auditV1.AuditArchive> {
    return toArchive(await this.archives.delete(identityFromMetadata(metadata), request.day));
  }

  /**
   * Writes to the raw call, reading the next 64 KiB of the file only once the call has room; the
   * returned empty stream then lets Nest end the call (or report an error thrown before the first
   * chunk: not found, permission).
   */
  @GrpcMethod(SERVICE, 'DownloadArchive')
  async downloadArchive(
    request: auditV1.DownloadArchiveRequest,
    metadata: Metadata | undefined,
    call: ServerWritableStream<auditV1.DownloadArchiveRequest, auditV1.ArchiveChunk>,
  ): Promise<Observable<never>> {
    const download = await this.archives.open(identityFromMetadata(metadata), request.day, request.manifest);
    try {
      await send(call, { fileName: download.fileName, sizeBytes: download.sizeBytes, data: Buffer.alloc(0) });
      for await (const data of download.content as AsyncIterable<Buffer>) {
        await send(call, { fileName: '', sizeBytes: 0, data });
      }
    } catch (error) {
      if (call.cancelled || call.destroyed) return EMPTY;
      throw error;
    } finally {
      download.content.destroy();
    }
    return EMPTY;
  }
}
