import { Client, ClientReadableStream, Metadata, ServiceClientConstructor } from '@grpc/grpc-js';

import type { auditV1 } from '@flotilla/contracts';
import {
  clientChannelOptions,
  clientCredentials,
  loadServiceDefinition,
  serviceCertificate,
} from '@flotilla/platform/grpc';

/**
 * AuditService.Export through grpc-js directly: Nest's Observable client reads a server stream as
 * fast as it arrives (no backpressure), while an export must be read only as fast as the HTTP
 * client takes it. Mutual TLS and caller tokens as every client (clientChannelOptions).
 */
export interface RawAuditExportClient {
  Export(request: auditV1.ExportEventsRequest, metadata: Metadata): ClientReadableStream<auditV1.ExportChunk>;
}

let auditService: ServiceClientConstructor | undefined;
const clients = new Map<string, Client & RawAuditExportClient>();

/** One client per audit address, made on first use (its channel is grpc-js's shared one). */
export function auditExportClient(url: string): RawAuditExportClient {
  auditService ??= loadServiceDefinition('audit');
  const Service = auditService;
  let client = clients.get(url);
  if (!client) {
    client = new Service(url, clientCredentials(serviceCertificate()), {
      ...clientChannelOptions('audit'),
    }) as unknown as Client & RawAuditExportClient;
    clients.set(url, client);
  }
  return client;
}
