import { HttpStatus, NotFoundException } from '@nestjs/common';
import { Metadata, status } from '@grpc/grpc-js';

import { httpErrorForGrpc, INTERNAL_ERROR_MESSAGE } from './grpc-http-status';
import { apiErrorOf } from './http-error.filter';

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

  it('tells a size limit (413) from a rate limit (429)', () => {
    expect(httpErrorForGrpc(status.RESOURCE_EXHAUSTED, 'Package exceeds 10 bytes').statusCode).toBe(
      HttpStatus.PAYLOAD_TOO_LARGE,
    );
    expect(httpErrorForGrpc(status.RESOURCE_EXHAUSTED, 'Too many sign-in attempts').statusCode).toBe(
      HttpStatus.TOO_MANY_REQUESTS,
    );
  });

  it('answers 503 for an unreachable service without naming its address', () => {
    const sut = httpErrorForGrpc(
      status.UNAVAILABLE,
      'No connection established. connect ECONNREFUSED 10.0.0.5:50051',
    );
    expect(sut.statusCode).toBe(HttpStatus.SERVICE_UNAVAILABLE);
    expect(sut.message).not.toContain('10.0.0.5');
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

  it('never leaks an unexpected error', () => {
    const sut = apiErrorOf(new TypeError("Cannot read properties of undefined (reading 'secret')"));
    expect(sut).toEqual({ statusCode: 500, error: 'Internal Server Error', message: INTERNAL_ERROR_MESSAGE });
  });
});
