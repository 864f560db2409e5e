import {
  ChannelCredentials,
  credentials,
  Interceptor,
  Metadata,
  Server,
  ServerCredentials,
  ServiceError,
  status,
  UntypedHandleCall,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { ServerInterceptor } from '@grpc/grpc-js';

import type { FlotillaService } from '@flotilla/contracts';

import { CallerIdentity, identityFromMetadata } from '../../caller-identity';
import { CHANNEL_OPTIONS } from '../../grpc-options';
import { loadServiceDefinition } from '../../service-definition';
import type { TestCa, TestLeaf } from './test-pki.test-support';

/**
 * A real grpc-js server of one Flotilla service whose every method answers an empty message and
 * records the identity its handler saw: what the call authorization let through, and as whom.
 */
export interface AuthorizedTestServer {
  url: string;
  /** The identities handlers saw, in call order. */
  seen: CallerIdentity[];
  close(): Promise<void>;
}

/** TLS requiring a client certificate of `ca` (the product's setting), or plaintext when no tls. */
export interface ServerTls {
  ca: TestCa;
  leaf: TestLeaf;
}

export async function startAuthorizedTestServer(
  service: FlotillaService,
  interceptors: ServerInterceptor[],
  tls?: ServerTls,
): Promise<AuthorizedTestServer> {
  const definition = loadServiceDefinition(service).service;
  const seen: CallerIdentity[] = [];
  const implementation: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    let handler: UntypedHandleCall;
    if (method.requestStream && !method.responseStream) {
      handler = (
        call: { metadata: Metadata; on: (e: string, f: () => void) => void; resume(): void },
        callback: (e: null, v: object) => void,
      ) => {
        seen.push(identityFromMetadata(call.metadata));
        call.on('data', () => undefined);
        call.on('end', () => callback(null, {}));
      };
    } else if (method.responseStream) {
      handler = (call: { metadata: Metadata; end(): void }) => {
        seen.push(identityFromMetadata(call.metadata));
        call.end();
      };
    } else {
      handler = (call: { metadata: Metadata }, callback: (e: null, v: object) => void) => {
        seen.push(identityFromMetadata(call.metadata));
        callback(null, {});
      };
    }
    implementation[name] = handler;
  }
  const server = new Server({ ...CHANNEL_OPTIONS, interceptors });
  server.addService(definition, implementation);
  const serverCredentials = tls
    ? ServerCredentials.createSsl(
        Buffer.from(tls.ca.certificatePem),
        [
          {
            cert_chain: Buffer.from(tls.leaf.certificatePem),
            private_key: Buffer.from(tls.leaf.privateKeyPem),
          },
        ],
        true,
      )
    : ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', serverCredentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    url: `127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}

/** Client credentials: trust `ca` for the server, present `leaf` (none: no client certificate). */
export function clientTls(ca: TestCa, leaf?: TestLeaf): ChannelCredentials {
  return credentials.createSsl(
    Buffer.from(ca.certificatePem),
    leaf ? Buffer.from(leaf.privateKeyPem) : null,
    leaf ? Buffer.from(leaf.certificatePem) : null,
  );
}

/** A raw grpc-js client of `service` (proto method names: `ClaimTask`). */
export type RawClient = Record<string, (...args: unknown[]) => unknown> & { close(): void };

export function rawClient(
  service: FlotillaService,
  url: string,
  channelCredentials: ChannelCredentials = credentials.createInsecure(),
  interceptors: Interceptor[] = [],
): RawClient {
  const Service = loadServiceDefinition(service);
  return new Service(url, channelCredentials, {
    ...CHANNEL_OPTIONS,
    'grpc.ssl_target_name_override': `${service}.flotilla.internal`,
    interceptors,
  }) as unknown as RawClient;
}

/** The status a call ended with: OK or the error's code and details. */
export interface CallOutcome {
  code: status;
  details: string;
}

/** Calls `method` whatever its shape (unary, client or server stream) and reports how it ended. */
export function callMethod(
  service: FlotillaService,
  client: RawClient,
  method: string,
  metadata: Metadata = new Metadata(),
): Promise<CallOutcome> {
  const definition = loadServiceDefinition(service).service[method];
  if (!definition) throw new Error(`${service} has no method ${method}`);
  const deadline = new Date(Date.now() + 10_000);
  const fn = client[method];
  const done = (resolve: (outcome: CallOutcome) => void) => (error: ServiceError | null) =>
    resolve(error ? { code: error.code, details: error.details } : { code: status.OK, details: '' });
  return new Promise<CallOutcome>((resolve) => {
    if (definition.requestStream && !definition.responseStream) {
      const stream = fn.call(client, metadata, { deadline }, done(resolve)) as { end(): void };
      stream.end();
    } else if (definition.responseStream) {
      const stream = fn.call(client, {}, metadata, { deadline }) as NodeJS.EventEmitter;
      stream.on('data', () => undefined);
      stream.on('error', (error: ServiceError) => resolve({ code: error.code, details: error.details }));
      stream.on('end', () => resolve({ code: status.OK, details: '' }));
    } else {
      fn.call(client, {}, metadata, { deadline }, done(resolve));
    }
  });
}
