import { ArgumentsHost, HttpStatus, Logger, NotFoundException } from '@nestjs/common';
import { Metadata, status } from '@grpc/grpc-js';

import { FailureReason, failureReasonMetadata } from '@flotilla/platform/grpc';

import {
  DATABASE_UNAVAILABLE_ERROR_MESSAGE,
  httpErrorForGrpc,
  INTERNAL_ERROR_MESSAGE,
  RETRY_AFTER_SECONDS,
  STORAGE_RETRY_AFTER_SECONDS,
  UNAVAILABLE_ERROR_MESSAGE,
} from './grpc-http-status';
import { apiErrorOf, HttpErrorFilter, httpErrorOf } from './http-error.filter';

describe(httpErrorForGrpc.name, () => {
  it.each([
    [status.INVALID_ARGUMENT, HttpStatus.BAD_REQUEST],
    [status.UNAUTHENTICATED, HttpStatus.UNAUTHORIZED],
    [status.PERMISSION_DENIED, HttpStatus.FORBIDDEN],
    [status.NOT_FOUND, HttpStatus.NOT_FOUND],
    [status.ALREADY_EXISTS, HttpStatus.CONFLICT],
    [status.FAILED_PRECONDITION, HttpStatus.CONFLICT],
  ])('maps gRPC code %i to HTTP %i and keeps the service message', (code, expected) => {
    expect(httpErrorForGrpc(code, 'Project "x" was not there')).toEqual({
      statusCode: expected,
      message: 'Project "x" was not there',
    });
  });

  it('answers a full shared storage with 507 and the service message', () => {
    const message =
      'Shared storage is full (Packages folder: no space left on device); the package was not stored. ' +
      'Free space or ask your administrator.';
    expect(httpErrorForGrpc(status.RESOURCE_EXHAUSTED, message, FailureReason.StorageFull)).toEqual({
      statusCode: HttpStatus.INSUFFICIENT_STORAGE,
      message,
    });
  });

  it('answers a size limit with 413 by its reason, whatever the wording', () => {
    expect(httpErrorForGrpc(status.RESOURCE_EXHAUSTED, 'Nope, too much', FailureReason.TooLarge)).toEqual({
      statusCode: HttpStatus.PAYLOAD_TOO_LARGE,
      message: 'Nope, too much',
    });
  });

  it('tells a size limit (413) from a rate limit (429) by the message when a service sends no reason', () => {
    expect(httpErrorForGrpc(status.RESOURCE_EXHAUSTED, 'Package exceeds 10 bytes').statusCode).toBe(
      HttpStatus.PAYLOAD_TOO_LARGE,
    );
    expect(httpErrorForGrpc(status.RESOURCE_EXHAUSTED, 'Too many sign-in attempts').statusCode).toBe(
      HttpStatus.TOO_MANY_REQUESTS,
    );
  });

  it('answers 503 for an unreachable service without naming its address, with Retry-After', () => {
    const sut = httpErrorForGrpc(
      status.UNAVAILABLE,
      'No connection established. connect ECONNREFUSED 10.0.0.5:50051',
    );
    expect(sut).toEqual({
      statusCode: HttpStatus.SERVICE_UNAVAILABLE,
      message: UNAVAILABLE_ERROR_MESSAGE,
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    });
  });

  it('answers a database outage with 503, Retry-After and its own words, not the service text', () => {
    const sut = httpErrorForGrpc(
      status.UNAVAILABLE,
      'connect ECONNREFUSED 10.0.0.7:5432',
      FailureReason.DatabaseUnavailable,
    );
    expect(sut).toEqual({
      statusCode: HttpStatus.SERVICE_UNAVAILABLE,
      message: DATABASE_UNAVAILABLE_ERROR_MESSAGE,
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    });
  });

  it("answers a directory outage at sign-in with 503, Retry-After and auth's words (not a verdict on the password)", () => {
    const message =
      'The directory cannot be reached right now; try again shortly (local accounts can still sign in)';
    expect(httpErrorForGrpc(status.UNAVAILABLE, message, FailureReason.DirectoryUnavailable)).toEqual({
      statusCode: HttpStatus.SERVICE_UNAVAILABLE,
      message,
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    });
  });

  it.each([FailureReason.StorageReadOnly, FailureReason.StorageUnavailable])(
    'answers %s with 503 and the service message, retry later',
    (reason) => {
      const message = 'Shared storage is read-only (Packages folder); the package was not stored.';
      expect(httpErrorForGrpc(status.UNAVAILABLE, message, reason)).toEqual({
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        message,
        retryAfterSeconds: STORAGE_RETRY_AFTER_SECONDS,
      });
    },
  );

  it('does not let a storage reason on another code pass a message through', () => {
    expect(
      httpErrorForGrpc(status.INTERNAL, 'EROFS at /srv/shared/Packages', FailureReason.StorageReadOnly),
    ).toEqual({ statusCode: HttpStatus.INTERNAL_SERVER_ERROR, message: INTERNAL_ERROR_MESSAGE });
  });

  it.each([status.INTERNAL, status.UNKNOWN, status.DATA_LOSS])(
    'hides internal error %i behind a generic 500',
    (code) => {
      expect(httpErrorForGrpc(code, 'TypeError: at repository.ts:42')).toEqual({
        statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
        message: INTERNAL_ERROR_MESSAGE,
      });
    },
  );
});

describe(apiErrorOf.name, () => {
  it('reads a grpc-js ServiceError by its details', () => {
    const error = Object.assign(new Error('5 NOT_FOUND: Task t1 not found'), {
      code: status.NOT_FOUND,
      details: 'Task t1 not found',
      metadata: new Metadata(),
    });
    expect(apiErrorOf(error)).toEqual({ statusCode: 404, error: 'Not Found', message: 'Task t1 not found' });
  });

  it('keeps Nest HTTP exceptions as they are', () => {
    expect(apiErrorOf(new NotFoundException('nope'))).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'nope',
    });
  });

  it('passes on body-parser client errors', () => {
    const tooBig = Object.assign(new Error('request entity too large'), { status: 413, expose: true });
    expect(apiErrorOf(tooBig)).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'request entity too large',
    });
  });

  it('reads the reason from the error trailers of a grpc-js ServiceError', () => {
    const error = Object.assign(new Error('8 RESOURCE_EXHAUSTED: Shared storage is full'), {
      code: status.RESOURCE_EXHAUSTED,
      details: 'Shared storage is full (Packages folder: no space left on device)',
      metadata: failureReasonMetadata(FailureReason.StorageFull),
    });
    expect(httpErrorOf(error)).toEqual({
      body: {
        statusCode: 507,
        error: 'Insufficient Storage',
        message: 'Shared storage is full (Packages folder: no space left on device)',
      },
      retryAfterSeconds: undefined,
    });
  });

  it('ignores a reason it does not know', () => {
    const metadata = new Metadata();
    metadata.set('x-flotilla-reason', 'storage-on-fire');
    const error = Object.assign(new Error('14 UNAVAILABLE: /srv/x'), {
      code: status.UNAVAILABLE,
      details: '/srv/x',
      metadata,
    });
    expect(httpErrorOf(error)).toEqual({
      body: { statusCode: 503, error: 'Service Unavailable', message: UNAVAILABLE_ERROR_MESSAGE },
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    });
  });

  it('never leaks an unexpected error', () => {
    const sut = apiErrorOf(new TypeError("Cannot read properties of undefined (reading 'secret')"));
    expect(sut).toEqual({ statusCode: 500, error: 'Internal Server Error', message: INTERNAL_ERROR_MESSAGE });
  });
});

describe(HttpErrorFilter.name, () => {
  function answer(exception: unknown) {
    const headers: Record<string, string> = {};
    let statusCode = 0;
    let body: unknown;
    const response = {
      headersSent: false,
      setHeader: (name: string, value: string) => (headers[name] = value),
      status(code: number) {
        statusCode = code;
        return this;
      },
      json: (value: unknown) => (body = value),
    };
    const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
    new HttpErrorFilter().catch(exception, host);
    return { statusCode, headers, body };
  }

  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  afterAll(() => {
    Logger.overrideLogger(['error', 'warn', 'log']);
  });

  it('sends Retry-After with a 503 for UNAVAILABLE', () => {
    const error = Object.assign(new Error('14 UNAVAILABLE: x'), { code: status.UNAVAILABLE, details: 'x' });
    expect(answer(error)).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '2' } });
  });

  it('sends no Retry-After with a 507 or a 4xx', () => {
    const full = Object.assign(new Error('8 RESOURCE_EXHAUSTED: full'), {
      code: status.RESOURCE_EXHAUSTED,
      details: 'Shared storage is full',
      metadata: failureReasonMetadata(FailureReason.StorageFull),
    });
    expect(answer(full)).toEqual({
      statusCode: 507,
      headers: {},
      body: { statusCode: 507, error: 'Insufficient Storage', message: 'Shared storage is full' },
    });
    expect(answer(new NotFoundException('nope')).headers).toEqual({});
  });
});
