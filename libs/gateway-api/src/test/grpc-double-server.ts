import { join } from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

import { FlotillaService, PROTO_ROOT, SERVICE_CONTRACTS } from '@flotilla/contracts';
import {
  CHANNEL_OPTIONS,
  PROTO_LOADER_OPTIONS,
  serverCredentials,
  serviceCertificate,
} from '@flotilla/platform/grpc';

/**
 * A real grpc-js server for one backend service with scripted handlers, standing in for the
 * collaborator in gateway tests. Methods without a handler answer UNIMPLEMENTED. Mutual TLS with the
 * test PKI's certificate of `service`: the gateway checks it is talking to that service.
 */
export interface GrpcDouble {
  url: string;
  close(): Promise<void>;
}

function serviceDefinition(service: FlotillaService): grpc.ServiceDefinition {
  const contract = SERVICE_CONTRACTS[service];
  const loaded = grpc.loadPackageDefinition(
    loadSync(join(PROTO_ROOT, contract.protoFile), PROTO_LOADER_OPTIONS),
  );
  let node: unknown = loaded;
  for (const part of [...contract.packageName.split('.'), contract.serviceName]) {
    node = (node as Record<string, unknown>)[part];
  }
  return (node as grpc.ServiceClientConstructor).service;
}

export async function startGrpcDouble(
  service: FlotillaService,
  handlers: grpc.UntypedServiceImplementation,
): Promise<GrpcDouble> {
  const server = new grpc.Server(CHANNEL_OPTIONS);
  server.addService(serviceDefinition(service), handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', serverCredentials(serviceCertificate(service)), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    url: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** A gRPC error as a service's RpcErrors would send it. */
export function grpcError(code: grpc.status, details: string): Partial<grpc.StatusObject> {
  return { code, details };
}
