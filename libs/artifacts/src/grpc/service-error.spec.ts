import { Logger } from '@nestjs/common';
import { status } from '@grpc/grpc-js';

import {
  DATABASE_UNAVAILABLE_MESSAGE,
  FailureReason,
  failureReasonOf,
  RpcErrors,
  rpcErrorWithReason,
} from '@flotilla/platform/grpc';

import { cancelledError, toServiceError } from './service-error';

/** A Node.js fs error as `fs.promises` and write streams raise them. */
function fsError(code: string, syscall = 'write'): NodeJS.ErrnoException {
  return Object.assign(
    new Error(`${code}: failed, ${syscall} '/srv/flotilla/shared/Packages/.upload-1.partial'`),
    {
      code,
      syscall,
      errno: -1,
      path: '/srv/flotilla/shared/Packages/.upload-1.partial',
    },
  );
}

describe(toServiceError.name, () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  afterAll(() => {
    Logger.overrideLogger(['error', 'warn', 'log']);
  });

  it('keeps an RpcError code and message', () => {
    const sut = toServiceError(RpcErrors.alreadyExists('package A version 1 already exists'));
    expect(sut).toMatchObject({ code: status.ALREADY_EXISTS, details: 'package A version 1 already exists' });
    expect(failureReasonOf(sut)).toBeUndefined();
  });

  it('keeps the reason trailers of an RpcError that has them', () => {
    const sut = toServiceError(
      rpcErrorWithReason(
        status.RESOURCE_EXHAUSTED,
        'The package is larger than 1 MiB',
        FailureReason.TooLarge,
      ),
    );
    expect(sut).toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      details: 'The package is larger than 1 MiB',
    });
    expect(failureReasonOf(sut)).toBe(FailureReason.TooLarge);
  });

  it.each([
    ['ENOSPC', 'no space left on device'],
    ['EDQUOT', 'disk quota exceeded'],
  ])('answers %s with RESOURCE_EXHAUSTED saying shared storage is full', (code, description) => {
    const sut = toServiceError(fsError(code));
    expect(sut).toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      details:
        `Shared storage is full (Packages folder: ${description}); the package was not stored. ` +
        'Free space or ask your administrator.',
    });
    expect(failureReasonOf(sut)).toBe(FailureReason.StorageFull);
  });

  it('answers EROFS with UNAVAILABLE saying shared storage is read-only', () => {
    const sut = toServiceError(fsError('EROFS', 'open'));
    expect(sut).toMatchObject({
      code: status.UNAVAILABLE,
      details:
        'Shared storage is read-only (Packages folder); the package was not stored. ' +
        'Ask your administrator to make it writable again.',
    });
    expect(failureReasonOf(sut)).toBe(FailureReason.StorageReadOnly);
  });

  it.each([
    ['EACCES', 'Shared storage is not writable (Packages folder: permission denied)'],
    ['EPERM', 'Shared storage is not writable (Packages folder: operation not permitted)'],
    ['EIO', 'Shared storage failed (Packages folder: input/output error)'],
  ])('answers %s with UNAVAILABLE naming the folder state, never its path', (code, start) => {
    const sut = toServiceError(fsError(code));
    expect(sut.code).toBe(status.UNAVAILABLE);
    expect(sut.details).toMatch(
      new RegExp(`^${start.replace(/[()]/g, '\\$&')}; the package was not stored\\.`),
    );
    expect(sut.details).not.toContain('/srv');
    expect(failureReasonOf(sut)).toBe(FailureReason.StorageUnavailable);
  });

  it('answers a lost database connection with UNAVAILABLE so callers retry', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), { code: 'ECONNREFUSED' });
    const typeOrmError = Object.assign(new Error('Connection terminated unexpectedly'), {
      name: 'QueryFailedError',
      driverError: refused,
    });
    const sut = toServiceError(typeOrmError);
    expect(sut).toMatchObject({ code: status.UNAVAILABLE, details: DATABASE_UNAVAILABLE_MESSAGE });
    expect(failureReasonOf(sut)).toBe(FailureReason.DatabaseUnavailable);
  });

  it('hides anything else behind INTERNAL', () => {
    const sut = toServiceError(new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect(sut).toMatchObject({ code: status.INTERNAL, details: 'The package could not be stored' });
    expect(failureReasonOf(sut)).toBeUndefined();
  });

  it('does not take a non-storage fs error for a storage state', () => {
    expect(toServiceError(fsError('ENAMETOOLONG')).code).toBe(status.INTERNAL);
  });
});

describe(cancelledError.name, () => {
  it('is CANCELLED', () => {
    expect(cancelledError()).toMatchObject({ code: status.CANCELLED });
  });
});
