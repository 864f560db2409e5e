import { join } from 'node:path';

import type { ChannelOptions } from '@grpc/grpc-js';
import { GrpcOptions, Transport } from '@nestjs/microservices';

import { FlotillaService, PROTO_ROOT, SERVICE_CONTRACTS } from '@flotilla/contracts';

import { unaryDeadlineInterceptor } from './call-deadline';
import { callerTokenClientInterceptors, serverCallInterceptors } from './call-authorization';
import {
  clientCredentials,
  serverCredentials,
  ServiceCertificate,
  serviceCertificate,
  targetNameOptions,
} from './service-certificates';

/**
 * Proto-loader options shared by every server and client, so both sides agree on field names
 * (camelCase, matching the ts-proto types), 64-bit numbers as JS numbers and default values.
 */
export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

/** Packages move in chunks well below this; the cap guards against a runaway message. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export const CHANNEL_OPTIONS: ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  // HAProxy passes gRPC through as TCP: with no replica up it accepts a connection and closes it,
  // so a client's connection attempts fail while a service restarts. grpc-js's default backoff
  // then grows to 120 s and the client would stay away long after a replica is back; connecting
  // to HAProxy is cheap, so retry often.
  'grpc.initial_reconnect_backoff_ms': 250,
  'grpc.max_reconnect_backoff_ms': 2_000,
};

/**
 * A service's server options: mutual TLS with the process's certificate (clients must present one
 * from the cluster CA) and the call-authorization interceptors (caller token, method policies).
 * `certificate` defaults to this process's, from FLOTILLA_PKI_DIR and its node name.
 */
export function grpcOptions(
  service: FlotillaService,
  url: string,
  certificate: ServiceCertificate = serviceCertificate(service),
): GrpcOptions {
  const contract = SERVICE_CONTRACTS[service];
  return {
    transport: Transport.GRPC,
    options: {
      package: contract.packageName,
      protoPath: join(PROTO_ROOT, contract.protoFile),
      url,
      loader: PROTO_LOADER_OPTIONS,
      credentials: serverCredentials(certificate),
      // Nest builds `new Server(channelOptions + keepalive)`; grpc-js servers read `interceptors` there.
      channelOptions: { ...CHANNEL_OPTIONS, interceptors: serverCallInterceptors(service) },
      maxReceiveMessageLength: MAX_MESSAGE_BYTES,
      maxSendMessageLength: MAX_MESSAGE_BYTES,
    },
  };
}

/**
 * Options for a client of a service: mutual TLS presenting `certificate` (this process's by
 * default) and checking the server holds a certificate of `service`, the caller-token
 * interceptors, and a default deadline on unary calls.
 */
export function grpcClientOptions(
  service: FlotillaService,
  url: string,
  unaryDeadlineMs?: number,
  certificate: ServiceCertificate = serviceCertificate(),
): GrpcOptions {
  const contract = SERVICE_CONTRACTS[service];
  return {
    transport: Transport.GRPC,
    options: {
      package: contract.packageName,
      protoPath: join(PROTO_ROOT, contract.protoFile),
      url,
      loader: PROTO_LOADER_OPTIONS,
      credentials: clientCredentials(certificate),
      // grpc-js Client reads `interceptors` from its options; nestjs passes channelOptions through.
      channelOptions: {
        ...CHANNEL_OPTIONS,
        ...targetNameOptions(service),
        interceptors: [unaryDeadlineInterceptor(unaryDeadlineMs), ...callerTokenClientInterceptors(service)],
      },
      maxReceiveMessageLength: MAX_MESSAGE_BYTES,
      maxSendMessageLength: MAX_MESSAGE_BYTES,
    },
  };
}

/**
 * Channel options of a plain grpc-js client of `target` (one not built by Nest): the shared ones,
 * the check that the server holds a certificate of `target`, and the caller-token interceptors.
 * Use with clientCredentials(): `new Client(url, clientCredentials(), clientChannelOptions('auth'))`.
 */
export function clientChannelOptions(target: FlotillaService): ChannelOptions {
  return {
    ...CHANNEL_OPTIONS,
    ...targetNameOptions(target),
    interceptors: callerTokenClientInterceptors(target),
  };
}
