import { Controller, Inject, Logger } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { Metadata, ServerWritableStream } from '@grpc/grpc-js';
import { Observable } from 'rxjs';

import { auditV1 } from '@flotilla/contracts';
import { identityFromMetadata, RpcErrors } from '@flotilla/platform/grpc';

import { EVENT_VIEW } from '../audit-trail.service';
import { AuditExporter } from './audit-exporter';

/** Resolves when the call can take more (drain) or will take nothing more (cancelled, closed, error). */
function writable(call: ServerWritableStream<unknown, unknown>): Promise<void> {
  return new Promise((resolve) => {
    const events = ['drain', 'cancelled', 'close', 'error', 'finish'] as const;
    const done = (): void => {
      events.forEach((event) => call.off(event, done));
      resolve();
    };
    events.forEach((event) => call.on(event, done));
  });
}

/**
 * AuditService.Export: the filter's events as a file, in chunks. Nest writes what the Observable
 * emits without waiting (it buffers when the call is full), so this handler waits itself: after
 * each chunk, if the call's buffer is full it waits for 'drain' before pulling the next bytes from
 * the exporter, which reads its next page only then. A cancelled call (the client went away)
 * unsubscribes, and the exporter reads no further page.
 */
@Controller()
export class AuditExportController {
  private readonly logger = new Logger('AuditExport');

  constructor(@Inject(AuditExporter) private readonly exporter: AuditExporter) {}

  @GrpcMethod(auditV1.AUDIT_SERVICE_NAME, 'Export')
  async export(
    request: auditV1.ExportEventsRequest,
    metadata: Metadata | undefined,
    call: ServerWritableStream<auditV1.ExportEventsRequest, auditV1.ExportChunk>,
  ): Promise<Observable<auditV1.ExportChunk>> {
    const caller = identityFromMetadata(metadata);
    if (!caller.permissions.includes(EVENT_VIEW)) {
      throw RpcErrors.permissionDenied(`${EVENT_VIEW} permission is required to export the audit trail`);
    }
    const prepared = await this.exporter.prepare(caller, request);
    return new Observable<auditV1.ExportChunk>((subscriber) => {
      let stopped = false;
      const file = this.exporter.write(prepared, () => stopped);
      const run = async (): Promise<void> => {
        // The file name first, before any event is read: the gateway sends its headers on it.
        subscriber.next({ fileName: prepared.fileName, data: Buffer.alloc(0) });
        let chunks = 0;
        let waits = 0;
        for (;;) {
          if (call.writableNeedDrain) {
            waits++;
            await writable(call);
          }
          if (stopped || call.cancelled) break;
          const next = await file.next();
          if (next.done) break;
          subscriber.next({ fileName: '', data: next.value });
          chunks++;
        }
        if (stopped || call.cancelled) {
          // Ends the exporter (it reads no further page), which records the unfinished export.
          await file.return(undefined);
          this.logger.log(
            `Export ${prepared.fileName} cancelled by the client after ${chunks} chunks: reading stopped`,
          );
          return;
        }
        this.logger.log(
          `Export ${prepared.fileName}: ${chunks} chunks sent, waited ${waits} times for the client to take more`,
        );
        subscriber.complete();
      };
      run().catch((error: unknown) => subscriber.error(error));
      return () => {
        stopped = true;
      };
    });
  }
}
