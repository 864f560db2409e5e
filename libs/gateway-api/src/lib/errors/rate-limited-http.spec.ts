import { ArgumentsHost, Logger } from '@nestjs/common';
import { Metadata, status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import { FailureReason, failureReasonMetadata, rateLimitedError } from '@flotilla/platform/grpc';

import { httpErrorForGrpc } from './grpc-http-status';
import { HttpErrorFilter } from './http-error.filter';

/** A rate-limited call as the gateway's client sees it: grpc-js puts the trailers in `metadata`. */
function clientSideError(exception: RpcException): Error {
  const error = exception.getError() as { code: number; details: string; metadata: Metadata };
  return Object.assign(new Error(`${error.code} RESOURCE_EXHAUSTED: ${error.details}`), error);
}

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

describe('rate-limited calls', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  afterAll(() => {
    Logger.overrideLogger(['error', 'warn', 'log']);
  });

  it('answers 429 with the seconds to wait as Retry-After and the service message', () => {
    const message = 'Too many failed sign-in attempts; try again in 42 seconds';
    expect(answer(clientSideError(rateLimitedError(message, 42)))).toEqual({
      statusCode: 429,
      headers: { 'Retry-After': '42' },
      body: { statusCode: 429, error: 'Too Many Requests', message },
    });
  });

  it('answers 429 without Retry-After when the service named no wait, whatever the wording', () => {
    expect(
      httpErrorForGrpc(status.RESOURCE_EXHAUSTED, 'exceeds 3 bytes of patience', FailureReason.RateLimited),
    ).toEqual({ statusCode: 429, message: 'exceeds 3 bytes of patience' });
    const error = Object.assign(new Error('8 RESOURCE_EXHAUSTED: slow down'), {
      code: status.RESOURCE_EXHAUSTED,
      details: 'slow down',
      metadata: failureReasonMetadata(FailureReason.RateLimited),
    });
    expect(answer(error)).toMatchObject({ statusCode: 429, headers: {} });
  });

  it('never sends a retry-after trailer of another failure as Retry-After on a 413', () => {
    const metadata = failureReasonMetadata(FailureReason.TooLarge);
    metadata.set('x-flotilla-retry-after', '9');
    const error = Object.assign(new Error('8 RESOURCE_EXHAUSTED: too big'), {
      code: status.RESOURCE_EXHAUSTED,
      details: 'too big',
      metadata,
    });
    expect(answer(error)).toMatchObject({ statusCode: 413, headers: {} });
  });
});
