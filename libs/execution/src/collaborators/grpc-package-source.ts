import type { ClientReadableStream, Metadata } from '@grpc/grpc-js';
import { ClientGrpc } from '@nestjs/microservices';

import { artifactsV1, SERVICE_CONTRACTS } from '@flotilla/contracts';
import { identityToMetadata, systemIdentity } from '@flotilla/platform/grpc';

import { PackageDownloadChunk, PackageSource } from './package-source';

/** The raw grpc-js client: its stream is a Node Readable, so a slow disk slows the download. */
interface RawArtifactClient {
  downloadPackage(
    request: artifactsV1.PackageRef,
    metadata: Metadata,
  ): ClientReadableStream<PackageDownloadChunk>;
}

/** PackageSource over gRPC with back-pressure (Nest's Observable client would buffer without bound). */
export class GrpcPackageSource implements PackageSource {
  private readonly client: RawArtifactClient;
  private readonly metadata = identityToMetadata(systemIdentity('deployment-executor'));

  constructor(grpc: ClientGrpc) {
    this.client = grpc.getClientByServiceName<RawArtifactClient>(SERVICE_CONTRACTS.artifacts.serviceName);
  }

  async *download(ref: artifactsV1.PackageRef): AsyncIterable<PackageDownloadChunk> {
    const call = this.client.downloadPackage(ref, this.metadata);
    try {
      for await (const chunk of call as AsyncIterable<PackageDownloadChunk>) yield chunk;
    } finally {
      // Leaving early (error, cancel) must end the server's stream too.
      call.cancel();
    }
  }
}
