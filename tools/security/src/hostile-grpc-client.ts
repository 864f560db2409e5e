import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ChannelCredentials, credentials, Metadata, ServiceError, status } from '@grpc/grpc-js';

import type { FlotillaService } from '@flotilla/contracts';
import { CHANNEL_OPTIONS, loadServiceDefinition } from '@flotilla/platform/grpc';

/**
 * A raw grpc-js client as an attacker on the cluster's network would write one: whatever
 * credentials it managed to get, whatever metadata it likes. Only the wire protocol is shared
 * with the product; none of its client wiring (certificates, interceptors) is used.
 */
export interface ClientCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

/** A certificate and key from a PKI folder's services/<node>/<identity>.crt|.key. */
export function certificateFromPki(pkiDir: string, node: string, identity: string): ClientCertificate {
  const folder = join(pkiDir, 'services', node);
  return {
    certificatePem: readFileSync(join(folder, `${identity}.crt`), 'utf8'),
    privateKeyPem: readFileSync(join(folder, `${identity}.key`), 'utf8'),
  };
}

/** TLS trusting `trustPem` for the server, presenting `certificate` (none: no client certificate). */
export function tlsCredentials(trustPem: string, certificate?: ClientCertificate): ChannelCredentials {
  return credentials.createSsl(
    Buffer.from(trustPem),
    certificate ? Buffer.from(certificate.privateKeyPem) : null,
    certificate ? Buffer.from(certificate.certificatePem) : null,
  );
}

export interface CallOutcome {
  code: status;
  details: string;
}

type AnyMethod = (...args: unknown[]) => unknown;

/**
 * Calls `method` of `service` at `url` once with `request` and `metadata`, whatever the method's
 * shape (unary, client stream, server stream), and reports how it ended. The client is closed.
 */
export function callOnce(
  service: FlotillaService,
  url: string,
  channelCredentials: ChannelCredentials,
  method: string,
  request: object,
  metadata: Metadata,
): Promise<CallOutcome> {
  const Service = loadServiceDefinition(service);
  const definition = Service.service[method];
  if (!definition) throw new Error(`${service} has no method ${method}`);
  const client = new Service(url, channelCredentials, {
    ...CHANNEL_OPTIONS,
    'grpc.ssl_target_name_override': `${service}.flotilla.internal`,
  }) as unknown as Record<string, AnyMethod> & { close(): void };
  const call = client[method];
  const options = { deadline: new Date(Date.now() + 15_000) };
  return new Promise<CallOutcome>((resolve) => {
    const finish = (outcome: CallOutcome) => {
      client.close();
      resolve(outcome);
    };
    const callback = (error: ServiceError | null) =>
      finish(error ? { code: error.code, details: error.details } : { code: status.OK, details: '' });
    if (definition.requestStream && !definition.responseStream) {
      const stream = call.call(client, metadata, options, callback) as {
        write(message: object): void;
        end(): void;
        on(event: 'error', listener: () => void): void;
      };
      stream.on('error', () => undefined);
      stream.write(request);
      stream.end();
    } else if (definition.responseStream) {
      const stream = call.call(client, request, metadata, options) as NodeJS.EventEmitter;
      stream.on('data', () => undefined);
      stream.on('error', (error: ServiceError) => finish({ code: error.code, details: error.details }));
      stream.on('end', () => finish({ code: status.OK, details: '' }));
    } else {
      call.call(client, request, metadata, options, callback);
    }
  });
}
