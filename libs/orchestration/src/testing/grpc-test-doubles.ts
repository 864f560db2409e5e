import { join } from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

import { FlotillaService, PROTO_ROOT, SERVICE_CONTRACTS } from '@flotilla/contracts';
import { PROTO_LOADER_OPTIONS, serverCredentials, serviceCertificate } from '@flotilla/platform/grpc';

type ServiceConstructor = grpc.ServiceClientConstructor;

/** The grpc-js constructor of a Flotilla service, loaded from its .proto like production does. */
export function serviceConstructor(service: FlotillaService): ServiceConstructor {
  const contract = SERVICE_CONTRACTS[service];
  const definition = grpc.loadPackageDefinition(
    loadSync(join(PROTO_ROOT, contract.protoFile), PROTO_LOADER_OPTIONS),
  );
  let node: unknown = definition;
  for (const part of `${contract.packageName}.${contract.serviceName}`.split('.'))
    node = (node as Record<string, unknown>)[part];
  return node as ServiceConstructor;
}

/**
 * A real gRPC server on 127.0.0.1 implementing only the given methods (others answer UNIMPLEMENTED),
 * over mutual TLS with the test PKI's certificate of `service`, as the real one would present.
 */
export async function startGrpcDouble(
  service: FlotillaService,
  handlers: grpc.UntypedServiceImplementation,
): Promise<{ url: string; stop(): Promise<void> }> {
  const server = new grpc.Server();
  server.addService(serviceConstructor(service).service, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', serverCredentials(serviceCertificate(service)), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    url: `127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** Calls one unary method and resolves with the reply or rejects with the grpc-js ServiceError. */
export function unaryCall<T>(
  client: grpc.Client,
  method: string,
  request: object,
  metadata = new grpc.Metadata(),
): Promise<T> {
  const fn = (client as unknown as Record<string, unknown>)[method];
  if (typeof fn !== 'function') throw new Error(`no method ${method}`);
  return new Promise<T>((resolve, reject) => {
    (
      fn as (req: object, md: grpc.Metadata, cb: (error: grpc.ServiceError | null, reply: T) => void) => void
    ).call(client, request, metadata, (error, reply) => (error ? reject(error) : resolve(reply)));
  });
}
