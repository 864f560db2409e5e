import { join } from 'node:path';

import type { ChannelOptions } from '@grpc/grpc-js';
import { GrpcOptions, Transport } from '@nestjs/microservices';

import { FlotillaService, PROTO_ROOT, SERVICE_CONTRACTS } from '@flotilla/contracts';

import { unaryDeadlineInterceptor } from './call-deadline';

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
};

/** One options object for a service's server and its clients (nestjs sample 04-grpc). */
export function grpcOptions(service: FlotillaService, url: string): GrpcOptions {
  const contract = SERVICE_CONTRACTS[service];
  return {
    transport: Transport.GRPC,
    options: {
      package: contract.packageName,
      protoPath: join(PROTO_ROOT, contract.protoFile),
      url,
      loader: PROTO_LOADER_OPTIONS,
      channelOptions: CHANNEL_OPTIONS,
      maxReceiveMessageLength: MAX_MESSAGE_BYTES,
      maxSendMessageLength: MAX_MESSAGE_BYTES,
    },
  };
}

/**
 * Options for a client of a service: the shared ones plus a default deadline on unary calls. Kept
 * apart from grpcOptions because grpc-js servers read `interceptors` from the same options object.
 */
export function grpcClientOptions(
  service: FlotillaService,
  url: string,
  unaryDeadlineMs?: number,
): GrpcOptions {
  const shared = grpcOptions(service, url);
  return {
    ...shared,
    options: {
      ...shared.options,
      // grpc-js Client reads `interceptors` from its options; nestjs passes channelOptions through.
      channelOptions: { ...CHANNEL_OPTIONS, interceptors: [unaryDeadlineInterceptor(unaryDeadlineMs)] },
    },
  };
}
