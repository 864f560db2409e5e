import { artifactsV1 } from '@flotilla/contracts';

/** One message of a package download: the record first, then data. */
export interface PackageDownloadChunk {
  package?: artifactsV1.Package;
  data?: Uint8Array;
}

/** Streams a package from artifact-store; breaking out of the iteration cancels the download. */
export interface PackageSource {
  download(ref: artifactsV1.PackageRef): AsyncIterable<PackageDownloadChunk>;
}

export const PACKAGE_SOURCE = Symbol('PACKAGE_SOURCE');
