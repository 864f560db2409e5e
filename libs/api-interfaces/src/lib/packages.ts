import type { PageQuery } from './common';

/**
 * A package in the built-in feed. Upload with POST /api/packages (multipart, field `file`) or
 * POST /api/packages/raw?fileName=<id>.<version>.zip (raw body); 409 on a duplicate id+version.
 */
export interface Package {
  packageId: string;
  version: string;
  /** "zip" or "tar.gz" */
  format: string;
  sizeBytes: number;
  sha256: string;
  /** ISO-8601 */
  publishedAt: string;
  fileName: string;
}

export interface ListPackagesQuery extends PageQuery {
  packageId?: string;
}

export interface UploadPackageQuery {
  /** "<id>.<version>.(zip|tgz|tar.gz)" */
  fileName: string;
}
