import { createHash } from 'node:crypto';

import type { ServerWritableStream } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';

import { artifactsV1 } from '@flotilla/contracts';

import { GrpcPackageSource } from '../collaborators/grpc-package-source';
import { GrpcDouble, grpcError, startGrpcDouble } from './grpc-double';

export interface StoredPackage {
  packageId: string;
  version: string;
  format: 'zip' | 'tar.gz';
  content: Buffer;
  /** Defaults to the content's real hash; set to test a tampered package. */
  sha256?: string;
}

/** artifact-store's DownloadPackage over real gRPC: the record first, then 64 KiB data chunks. */
export async function startArtifactStoreDouble(
  packages: StoredPackage[],
): Promise<GrpcDouble & { source: GrpcPackageSource }> {
  const double = await startGrpcDouble('artifacts', {
    DownloadPackage: (call: ServerWritableStream<artifactsV1.PackageRef, unknown>) => {
      const { packageId, version } = call.request;
      const stored = packages.find(
        (candidate) => candidate.packageId === packageId && candidate.version === version,
      );
      if (!stored) {
        call.emit('error', grpcError(status.NOT_FOUND, `Package ${packageId} ${version} was not found`));
        return;
      }
      const extension = stored.format === 'zip' ? 'zip' : 'tar.gz';
      call.write({
        package: {
          packageId,
          version,
          format: stored.format,
          sizeBytes: stored.content.length,
          sha256: stored.sha256 ?? createHash('sha256').update(stored.content).digest('hex'),
          publishedAt: '2024-01-01T00:00:00.000Z',
          fileName: `${packageId}.${version}.${extension}`,
        },
      });
      for (let offset = 0; offset < stored.content.length; offset += 64 * 1024) {
        call.write({ data: stored.content.subarray(offset, offset + 64 * 1024) });
      }
      call.end();
    },
  });
  return { ...double, source: new GrpcPackageSource(double.client) };
}
