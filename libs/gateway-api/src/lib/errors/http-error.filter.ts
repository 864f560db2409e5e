import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';

import type { ApiError } from '@flotilla/api-interfaces';
import { failureReasonOf, retryAfterOf, rpcErrorDetails } from '@flotilla/platform/grpc';

import { httpErrorForGrpc, INTERNAL_ERROR_MESSAGE } from './grpc-http-status';

export interface HttpErrorAnswer {
  body: ApiError;
  /** Seconds for a `Retry-After` header, when waiting is what the client should do. */
  retryAfterSeconds?: number;
}

/** Turns anything thrown by a route into the API's error answer: JSON {statusCode, error, message}. */
export function httpErrorOf(exception: unknown): HttpErrorAnswer {
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    const body = exception.getResponse();
    const message =
      typeof body === 'object' && body !== null && 'message' in body
        ? (body as { message: string | string[] }).message
        : exception.message;
    return { body: { statusCode, error: reasonPhrase(statusCode), message } };
  }
  const parserError = clientErrorOf(exception);
  if (parserError) return { body: parserError };
  const grpc = rpcErrorDetails(exception);
  if (grpc) {
    const { statusCode, message, retryAfterSeconds } = httpErrorForGrpc(
      grpc.code,
      grpc.message,
      failureReasonOf(exception),
      retryAfterOf(exception),
    );
    return { body: { statusCode, error: reasonPhrase(statusCode), message }, retryAfterSeconds };
  }
  return {
    body: {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: reasonPhrase(500),
      message: INTERNAL_ERROR_MESSAGE,
    },
  };
}

/** The JSON body alone (for answers that cannot carry headers, e.g. an SSE error event). */
export function apiErrorOf(exception: unknown): ApiError {
  return httpErrorOf(exception).body;
}

/**
 * Express middleware (the JSON body parser) reports bad input as http-errors objects with a 4xx
 * `status` and `expose: true`; those messages are meant for the client.
 */
function clientErrorOf(exception: unknown): ApiError | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const { status, expose, message } = exception as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof status !== 'number' || status < 400 || status >= 500 || expose !== true) return undefined;
  return {
    statusCode: status,
    error: reasonPhrase(status),
    message: typeof message === 'string' ? message : reasonPhrase(status),
  };
}

function reasonPhrase(statusCode: number): string {
  const name = (HttpStatus as Record<number, string | undefined>)[statusCode] ?? 'ERROR';
  return name
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('gateway');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const { body: error, retryAfterSeconds } = httpErrorOf(exception);
    if (error.statusCode >= 500) {
      // The details stay in the log; the client gets the generic message. A backend's own error
      // is one line (its stack is in that service's log); only the gateway's own bugs get a stack.
      const grpc = rpcErrorDetails(exception);
      if (grpc) this.logger.warn(`gRPC status ${grpc.code}: ${grpc.message}`);
      else
        this.logger.error(
          exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
        );
    }
    if (response.headersSent) {
      // A stream already started: the only honest signal left is to cut it short.
      response.destroy();
      return;
    }
    if (retryAfterSeconds !== undefined) response.setHeader('Retry-After', String(retryAfterSeconds));
    response.status(error.statusCode).json(error);
  }
}
