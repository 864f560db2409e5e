import { Client, ClientReadableStream, Metadata, ServiceClientConstructor } from '@grpc/grpc-js';
import type { Response } from 'express';

import type { auditV1 } from '@flotilla/contracts';
import {
  CallerIdentity,
  clientChannelOptions,
  clientCredentials,
  identityToMetadata,
  loadServiceDefinition,
  serviceCertificate,
} from '@flotilla/platform/grpc';

import { contentDisposition } from '../../packages/package-download';
import { firstEvent } from '../../packages/stream-waits';

/**
 * AuditService.DownloadArchive through grpc-js directly: Nest's Observable client reads a server
 * stream as fast as it arrives, while a download must be read only as fast as the HTTP client takes
 * it. Mutual TLS and caller tokens as every client (clientChannelOptions).
 */
interface RawArchiveClient {
  DownloadArchive(
    request: auditV1.DownloadArchiveRequest,
    metadata: Metadata,
  ): ClientReadableStream<auditV1.ArchiveChunk>;
}

let auditService: ServiceClientConstructor | undefined;
const clients = new Map<string, Client & RawArchiveClient>();

function archiveClient(url: string): RawArchiveClient {
  auditService ??= loadServiceDefinition('audit');
  let client = clients.get(url);
  if (!client) {
    client = new auditService(url, clientCredentials(serviceCertificate()), {
      ...clientChannelOptions('audit'),
    }) as unknown as Client & RawArchiveClient;
    clients.set(url, client);
  }
  return client;
}

const CONTENT_TYPES = { events: 'application/x-ndjson', manifest: 'application/json' } as const;

/**
 * Streams an archive's .jsonl (or its manifest) into an HTTP response with its exact length. An
 * error before the first chunk (unknown day: 404, bad day: 400) is thrown for the error filter;
 * after it the connection is cut short, so a client never takes a truncated file for a whole one.
 */
export async function streamArchive(
  auditUrl: string,
  request: auditV1.DownloadArchiveRequest,
  identity: CallerIdentity,
  response: Response,
): Promise<void> {
  const call = archiveClient(auditUrl).DownloadArchive(request, identityToMetadata(identity));
  const messages = call[Symbol.asyncIterator]() as AsyncIterator<auditV1.ArchiveChunk>;
  const first = await messages.next();
  const header = first.done ? undefined : first.value;
  if (!header?.fileName) {
    call.cancel();
    throw new Error('The audit service started an archive download without its file name');
  }
  response.status(200);
  response.setHeader('Content-Type', CONTENT_TYPES[request.manifest ? 'manifest' : 'events']);
  response.setHeader('Content-Disposition', contentDisposition(header.fileName));
  response.setHeader('Content-Length', String(header.sizeBytes));
  const cancelIfUnfinished = (): void => {
    if (!response.writableFinished) call.cancel();
  };
  response.on('close', cancelIfUnfinished);
  try {
    for (;;) {
      const next = await messages.next();
      if (next.done) break;
      const data = next.value.data;
      if (data && data.length > 0 && !response.write(data)) await firstEvent(response, ['drain', 'close']);
    }
    response.end();
  } catch {
    response.destroy();
  } finally {
    response.off('close', cancelIfUnfinished);
  }
}
