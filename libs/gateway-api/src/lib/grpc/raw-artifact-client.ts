import type { ClientReadableStream, ClientWritableStream, Metadata, ServiceError } from '@grpc/grpc-js';

import { artifactsV1 } from '@flotilla/contracts';

/**
 * The grpc-js client of ArtifactService as proto-loader builds it. Nest's Observable wrapper has no
 * backpressure for client streams, so package transfers use the raw streams directly.
 */
export interface RawArtifactClient {
  UploadPackage(
    metadata: Metadata,
    callback: (error: ServiceError | null, value?: artifactsV1.Package) => void,
  ): ClientWritableStream<artifactsV1.UploadPackageChunk>;
  DownloadPackage(
    request: artifactsV1.PackageRef,
    metadata: Metadata,
  ): ClientReadableStream<artifactsV1.DownloadPackageChunk>;
}
