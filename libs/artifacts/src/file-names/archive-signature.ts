import { RpcErrors } from '@flotilla/platform/grpc';

import type { PackageFormat } from './package-file-name';

const ZIP_LOCAL_FILE = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
/** An empty zip is only its end-of-central-directory record. */
const ZIP_EMPTY_ARCHIVE = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const GZIP = Buffer.from([0x1f, 0x8b]);

/** How many leading bytes `hasArchiveSignature` needs to decide. */
export const SIGNATURE_LENGTH = 4;

/** True when the first bytes of a file are those of the format its extension claims. */
export function hasArchiveSignature(format: PackageFormat, head: Uint8Array): boolean {
  const bytes = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  switch (format) {
    case 'zip':
      return bytes.subarray(0, 4).equals(ZIP_LOCAL_FILE) || bytes.subarray(0, 4).equals(ZIP_EMPTY_ARCHIVE);
    case 'tar.gz':
      return bytes.subarray(0, 2).equals(GZIP);
  }
}

export function assertArchiveSignature(format: PackageFormat, head: Uint8Array): void {
  if (!hasArchiveSignature(format, head)) {
    throw RpcErrors.invalidArgument(
      `The uploaded file is not a valid ${format}: its first bytes do not match the format its name claims`,
    );
  }
}
