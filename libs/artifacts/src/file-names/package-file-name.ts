import { RpcErrors } from '@flotilla/platform/grpc';

export type PackageFormat = 'zip' | 'tar.gz';

/** A package's identity as parsed from an uploaded file name; every field is validated. */
export interface PackageFileName {
  packageId: string;
  version: string;
  format: PackageFormat;
  /** The name the file is stored under in Packages/ (`tgz` is stored as `.tar.gz`). */
  storedFileName: string;
}

export const MAX_PACKAGE_ID_LENGTH = 100;
export const MAX_VERSION_LENGTH = 50;

/** Octopus-style ids: dot-separated segments of [A-Za-z0-9_-], starting alphanumeric. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*$/;
/** 1.2.3, 1.2.3.4 or 1.2.3-beta.1 */
const VERSION_PATTERN = /^\d+\.\d+\.\d+(?:\.\d+)?(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
/**
 * The id is matched lazily so the version starts at the first segment that begins a valid
 * version: "Acme.Web.1.2.3" is id "Acme.Web", version "1.2.3".
 */
const STEM_PATTERN =
  /^(?<id>[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*?)\.(?<version>\d+\.\d+\.\d+(?:\.\d+)?(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)$/;

const EXPECTED_FORM =
  'expected "<id>.<version>.zip", ".tgz" or ".tar.gz", e.g. "Acme.Web.1.2.3.zip": the id uses letters, digits, ".", "_" and "-" and starts with a letter or digit; the version looks like 1.2.3, 1.2.3.4 or 1.2.3-beta.1';

const EXTENSIONS: ReadonlyArray<{ suffix: string; format: PackageFormat }> = [
  { suffix: '.tar.gz', format: 'tar.gz' },
  { suffix: '.tgz', format: 'tar.gz' },
  { suffix: '.zip', format: 'zip' },
];

export function isValidPackageId(packageId: string): boolean {
  return packageId.length <= MAX_PACKAGE_ID_LENGTH && ID_PATTERN.test(packageId);
}

export function isValidVersion(version: string): boolean {
  return version.length <= MAX_VERSION_LENGTH && VERSION_PATTERN.test(version);
}

export function storedFileNameOf(packageId: string, version: string, format: PackageFormat): string {
  return `${packageId}.${version}.${format}`;
}

/**
 * Parses "<id>.<version>.(zip|tgz|tar.gz)". Anything else (paths, "..", odd characters) is
 * refused with INVALID_ARGUMENT naming the expected form, so no raw input reaches a path.
 */
export function parsePackageFileName(fileName: string): PackageFileName {
  const extension = EXTENSIONS.find(({ suffix }) => fileName.toLowerCase().endsWith(suffix));
  const stem = extension ? fileName.slice(0, fileName.length - extension.suffix.length) : '';
  const match = extension ? STEM_PATTERN.exec(stem) : null;
  const packageId = match?.groups?.['id'] ?? '';
  const version = match?.groups?.['version'] ?? '';
  if (!extension || !isValidPackageId(packageId) || !isValidVersion(version)) {
    throw RpcErrors.invalidArgument(
      `Invalid package file name "${fileName.slice(0, 300)}": ${EXPECTED_FORM}`,
    );
  }
  return {
    packageId,
    version,
    format: extension.format,
    storedFileName: storedFileNameOf(packageId, version, extension.format),
  };
}

/** Validates a package reference from a request before it is used to look anything up. */
export function assertValidPackageRef(ref: { packageId: string; version: string }): void {
  if (!isValidPackageId(ref.packageId)) {
    throw RpcErrors.invalidArgument(
      `Invalid package id "${ref.packageId.slice(0, 200)}": letters, digits, ".", "_" and "-", starting with a letter or digit, at most ${MAX_PACKAGE_ID_LENGTH} characters`,
    );
  }
  if (!isValidVersion(ref.version)) {
    throw RpcErrors.invalidArgument(
      `Invalid version "${ref.version.slice(0, 200)}": expected a version like 1.2.3, 1.2.3.4 or 1.2.3-beta.1`,
    );
  }
}
