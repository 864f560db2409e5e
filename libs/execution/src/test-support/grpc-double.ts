import { Metadata, Server, ServiceError, status } from '@grpc/grpc-js';
import type { UntypedHandleCall } from '@grpc/grpc-js';
import { ClientGrpc, ClientProxyFactory } from '@nestjs/microservices';

import type { FlotillaService } from '@flotilla/contracts';
import {
  grpcClientOptions,
  loadServiceDefinition,
  serverCredentials,
  serviceCertificate,
} from '@flotilla/platform/grpc';

/**
 * A real gRPC server on a free loopback port standing in for a collaborator service in tests
 * (orchestrator, artifact-store). Only the given methods exist; any other call fails with
 * UNIMPLEMENTED, so an unexpected call shows up as a failure. Mutual TLS with the test PKI's
 * certificate of `service`, as the real one would present.
 */
export interface GrpcDouble {
  url: string;
  /** A Nest ClientGrpc connected to the double, as the executor's module would create it. */
  client: ClientGrpc;
  stop(): Promise<void>;
}

export async function startGrpcDouble(
  service: FlotillaService,
  handlers: Record<string, UntypedHandleCall>,
): Promise<GrpcDouble> {
  const server = new Server();
  server.addService(loadServiceDefinition(service).service, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', serverCredentials(serviceCertificate(service)), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const url = `127.0.0.1:${port}`;
  const client = ClientProxyFactory.create(grpcClientOptions(service, url)) as unknown as ClientGrpc;
  return {
    url,
    client,
    stop: async () => {
      (client as unknown as { close(): void }).close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}

/** A unary handler answering from a function; a thrown ServiceError becomes the call's status. */
export function unary<Req, Res>(answer: (request: Req) => Res | Promise<Res>): UntypedHandleCall {
  return (call: { request: Req }, callback: (error: ServiceError | null, value?: Res) => void) => {
    Promise.resolve()
      .then(() => answer(call.request))
      .then(
        (value) => callback(null, value),
        (error: unknown) => callback(asServiceError(error)),
      );
  };
}

export function grpcError(code: status, details: string): ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}

function asServiceError(error: unknown): ServiceError {
  if (error instanceof Error && 'code' in error) return error as ServiceError;
  return grpcError(status.INTERNAL, error instanceof Error ? error.message : String(error));
}
