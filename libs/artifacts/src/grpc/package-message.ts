import type { artifactsV1 } from '@flotilla/contracts';

import type { PackageEntity } from '../persistence/package.entity';

export function toPackageMessage(record: PackageEntity): artifactsV1.Package {
  return {
    packageId: record.packageId,
    version: record.version,
    format: record.format,
    sizeBytes: record.sizeBytes,
    sha256: record.sha256,
    publishedAt: record.publishedAt.toISOString(),
    fileName: record.fileName,
  };
}
