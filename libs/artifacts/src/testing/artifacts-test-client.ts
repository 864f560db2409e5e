import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';

import { artifactsV1, PROTO_ROOT, SERVICE_CONTRACTS } from '@flotilla/contracts';
import {
  CallerIdentity,
  clientChannelOptions,
  clientCredentials,
  identityToMetadata,
  PROTO_LOADER_OPTIONS,
  serviceCertificate,
} from '@flotilla/platform/grpc';

/** The ArtifactService as grpc-js exposes it, with the method names of the .proto file. */
export interface RawArtifactClient extends grpc.Client {
  UploadPackage(
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<artifactsV1.Package>,
  ): grpc.ClientWritableStream<artifactsV1.UploadPackageChunk>;
  DownloadPackage(
    request: artifactsV1.PackageRef,
    metadata?: grpc.Metadata,
  ): grpc.ClientReadableStream<artifactsV1.DownloadPackageChunk>;
  GetPackage(
    request: artifactsV1.PackageRef,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<artifactsV1.Package>,
  ): grpc.ClientUnaryCall;
  ListPackages(
    request: artifactsV1.ListPackagesRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<artifactsV1.PackageList>,
  ): grpc.ClientUnaryCall;
  DeletePackage(
    request: artifactsV1.PackageRef,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<artifactsV1.Empty>,
  ): grpc.ClientUnaryCall;
}

/**
 * A plain grpc-js client built with @grpc/proto-loader and the options the services use, over
 * mutual TLS with this process's certificate from the test PKI.
 */
export function createArtifactClient(url: string): RawArtifactClient {
  const contract = SERVICE_CONTRACTS.artifacts;
  const definition = loadSync(join(PROTO_ROOT, contract.protoFile), PROTO_LOADER_OPTIONS);
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    flotilla: { artifacts: { v1: { ArtifactService: grpc.ServiceClientConstructor } } };
  };
  const Service = loaded.flotilla.artifacts.v1.ArtifactService;
  return new Service(
    url,
    clientCredentials(serviceCertificate()),
    clientChannelOptions('artifacts'),
  ) as unknown as RawArtifactClient;
}

/**
 * Who the specs call as unless they say otherwise: the gateway acting for a signed-in user who may
 * read and push packages (the call policies ask for FeedView / BuiltInFeedPush). Fresh metadata per
 * call; the jest setup signs the caller token as the gateway would.
 */
export const FEED_USER: CallerIdentity = {
  userId: 'u-feed',
  username: 'feed-user',
  clientIp: '192.0.2.5',
  permissions: ['FeedView', 'BuiltInFeedPush'],
};

export function asFeedUser(): grpc.Metadata {
  return identityToMetadata(FEED_USER);
}

/** Promisifies a unary call of the raw client. */
export function unary<Req, Res>(
  method: (
    request: Req,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<Res>,
  ) => grpc.ClientUnaryCall,
  request: Req,
  metadata = asFeedUser(),
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, metadata, (error, response) => (error ? reject(error) : resolve(response as Res)));
  });
}

export interface UploadOptions {
  metadata?: grpc.Metadata;
  /** Called after each chunk was accepted by the call, with the bytes accepted so far. */
  onAccepted?: (bytes: number) => void;
  /** Messages to send first instead of the header (to test a missing header). */
  skipHeader?: boolean;
  /** Cancel the call once this many bytes were accepted, after `beforeCancel` resolved. */
  cancelAfterBytes?: number;
  beforeCancel?: () => Promise<void>;
}

/** Streams `chunks` after a header, respecting the call's backpressure ('drain'). */
export function uploadPackage(
  client: RawArtifactClient,
  fileName: string,
  chunks: Iterable<Buffer> | AsyncIterable<Buffer>,
  options: UploadOptions = {},
): Promise<artifactsV1.Package> {
  let settled = false;
  let call: grpc.ClientWritableStream<artifactsV1.UploadPackageChunk> | undefined;
  const outcome = new Promise<artifactsV1.Package>((resolve, reject) => {
    call = client.UploadPackage(options.metadata ?? asFeedUser(), (error, response) => {
      settled = true;
      if (error) reject(error);
      else resolve(response as artifactsV1.Package);
    });
  });
  const stream = call as grpc.ClientWritableStream<artifactsV1.UploadPackageChunk>;
  stream.on('error', () => undefined); // the callback reports the outcome
  const canWrite = (): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        stream.off('drain', done);
        stream.off('close', done);
        resolve();
      };
      stream.on('drain', done);
      stream.on('close', done);
    });
  const send = async (): Promise<void> => {
    if (!options.skipHeader) stream.write({ header: { fileName } });
    let accepted = 0;
    for await (const data of chunks) {
      if (settled || stream.destroyed) return;
      const roomLeft = stream.write({ data });
      accepted += data.length;
      options.onAccepted?.(accepted);
      if (options.cancelAfterBytes !== undefined && accepted >= options.cancelAfterBytes) {
        await options.beforeCancel?.();
        stream.cancel();
        return;
      }
      if (!roomLeft) await canWrite();
    }
    stream.end();
  };
  void send();
  return outcome;
}

/** `buffer` as the 64 KiB messages a real uploader would send (views, not copies). */
export function* chunksOf(buffer: Buffer, size = 64 * 1024): Generator<Buffer> {
  for (let offset = 0; offset < buffer.length; offset += size) yield buffer.subarray(offset, offset + size);
}

/** The gRPC status of a call that must fail, for assertions on its code and message. */
export async function rejectionOf(outcome: Promise<unknown>): Promise<{ code: unknown; details: string }> {
  try {
    await outcome;
  } catch (error) {
    const { code, details } = error as { code?: unknown; details?: unknown };
    return { code, details: String(details) };
  }
  throw new Error('expected the call to fail');
}
