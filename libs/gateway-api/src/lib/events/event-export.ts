import { Logger } from '@nestjs/common';
import type { Response } from 'express';

import type { auditV1 } from '@flotilla/contracts';
import type { FlotillaConfig } from '@flotilla/platform/config';
import { CallerIdentity, identityToMetadata } from '@flotilla/platform/grpc';

import { contentDisposition } from '../packages/package-download';
import { firstEvent } from '../packages/stream-waits';
import { auditExportClient } from './audit-export-client';

const CONTENT_TYPES = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/x-ndjson; charset=utf-8',
} as const;

/**
 * Streams AuditService.Export into an HTTP response. The next gRPC message is only read once the
 * response took the previous one (so the audit service reads its next page only then); a client
 * that goes away cancels the call, which stops the audit service's reading. An error before the
 * first message (a bad filter: INVALID_ARGUMENT, 400) is thrown for the error filter; after it
 * the connection is cut short, so the client sees a failed download, never a complete-looking
 * file (a JSONL file also lacks its signed manifest).
 */
export class EventExport {
  private readonly logger = new Logger('EventExport');

  constructor(private readonly config: Pick<FlotillaConfig, 'grpc'>) {}

  async stream(
    request: auditV1.ExportEventsRequest,
    identity: CallerIdentity,
    response: Response,
  ): Promise<void> {
    const format = request.format === 'jsonl' ? 'jsonl' : 'csv';
    const call = auditExportClient(this.config.grpc.audit).Export(request, identityToMetadata(identity));
    const messages = call[Symbol.asyncIterator]() as AsyncIterator<auditV1.ExportChunk>;
    const first = await messages.next();
    const fileName = first.done ? '' : first.value.fileName;
    if (!fileName) {
      call.cancel();
      throw new Error('The audit service started an export without its file name');
    }
    response.status(200);
    response.setHeader('Content-Type', CONTENT_TYPES[format]);
    response.setHeader('Content-Disposition', contentDisposition(fileName));
    response.setHeader('Cache-Control', 'no-store');
    // Reverse proxies must not buffer the whole file.
    response.setHeader('X-Accel-Buffering', 'no');
    const cancelIfUnfinished = (): void => {
      if (!response.writableFinished) {
        this.logger.log(`Export ${fileName}: the client went away, cancelling the audit service's export`);
        call.cancel();
      }
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
    } catch (error) {
      if (!response.destroyed) this.logger.warn(`Export ${fileName} failed midway: ${String(error)}`);
      // Headers are gone; cutting the connection short tells the client the file is incomplete.
      response.destroy();
    } finally {
      response.off('close', cancelIfUnfinished);
    }
  }
}
