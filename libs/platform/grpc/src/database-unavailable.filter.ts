import { status } from '@grpc/grpc-js';
import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { BaseRpcExceptionFilter } from '@nestjs/microservices';
import { Observable, throwError } from 'rxjs';

import { isDatabaseUnavailableError } from '@flotilla/platform/persistence';

import { FailureReason, failureReasonMetadata } from './failure-reason';

export const DATABASE_UNAVAILABLE_MESSAGE =
  'The database is unavailable (restarting or failing over); retry shortly';

/** During an outage every call fails alike: one warning per interval says how many did. */
const WARN_INTERVAL_MS = 5000;

/** The driver's own words (never the statement or its parameters, which TypeORM keeps apart). */
function driverWords(error: unknown): string {
  const outer = error as { driverError?: unknown; originalError?: unknown };
  const innermost = outer.driverError ?? outer.originalError ?? outer;
  const { code, number, message } = innermost as { code?: unknown; number?: unknown; message?: unknown };
  const tag = [code, number].filter((part) => part !== undefined && part !== '').join('/');
  return `${tag ? `[${tag}] ` : ''}${typeof message === 'string' ? message : String(error)}`;
}

/** The gRPC method being served (grpc-js passes the call as the handler's third argument). */
function methodOf(host: ArgumentsHost): string {
  const call = host.getArgByIndex<{ getPath?: () => string } | undefined>(2);
  return typeof call?.getPath === 'function' ? call.getPath() : 'a gRPC call';
}

/**
 * Answers calls that failed because the database is out of reach (restarting, failing over,
 * refusing connections) with gRPC UNAVAILABLE, which callers retry, instead of the UNKNOWN
 * "Internal server error" Nest gives any other error, which executors and the gateway treat as a
 * final failure. Everything else is handled exactly as Nest's default filter does (RpcException
 * passes through with its code and message). grpc-js takes the status from the error's `code`, its
 * details from `message` and its trailers from `metadata` (x-flotilla-reason: database-unavailable,
 * so the gateway can say what is wrong without reading the message).
 */
@Catch()
export class DatabaseUnavailableRpcFilter extends BaseRpcExceptionFilter implements ExceptionFilter {
  private readonly log = new Logger('DatabaseUnavailable');
  private lastWarnedAt = -Infinity;
  private unwarned = 0;

  constructor(private readonly now: () => number = () => performance.now()) {
    super();
  }

  override catch(exception: unknown, host: ArgumentsHost): Observable<unknown> {
    if (!isDatabaseUnavailableError(exception)) return super.catch(exception, host);
    this.warn(exception, host);
    return throwError(() => ({
      code: status.UNAVAILABLE,
      message: DATABASE_UNAVAILABLE_MESSAGE,
      metadata: failureReasonMetadata(FailureReason.DatabaseUnavailable),
    }));
  }

  private warn(exception: unknown, host: ArgumentsHost): void {
    const now = this.now();
    if (now - this.lastWarnedAt < WARN_INTERVAL_MS) {
      this.unwarned++;
      return;
    }
    const others = this.unwarned ? ` (and ${this.unwarned} more call(s) since the last warning)` : '';
    this.log.warn(`${methodOf(host)} answered UNAVAILABLE: ${driverWords(exception)}${others}`);
    this.lastWarnedAt = now;
    this.unwarned = 0;
  }
}

/** The exception filters every Flotilla gRPC service runs with. */
export function grpcExceptionFilters(): ExceptionFilter[] {
  return [new DatabaseUnavailableRpcFilter()];
}
