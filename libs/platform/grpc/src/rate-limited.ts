import { Metadata, status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import { FAILURE_REASON_KEY, FailureReason } from './failure-reason';

/** Trailer with the whole seconds a rate-limited caller should wait; the gateway sends it as Retry-After. */
export const RETRY_AFTER_KEY = 'x-flotilla-retry-after';

/**
 * RESOURCE_EXHAUSTED for a caller over a rate limit: the reason and the seconds to wait travel as
 * trailers, so the gateway answers 429 with Retry-After without reading the message.
 */
export function rateLimitedError(message: string, retryAfterSeconds: number): RpcException {
  const metadata = new Metadata();
  metadata.set(FAILURE_REASON_KEY, FailureReason.RateLimited);
  metadata.set(RETRY_AFTER_KEY, String(Math.max(1, Math.ceil(retryAfterSeconds))));
  return new RpcException({ code: status.RESOURCE_EXHAUSTED, message, details: message, metadata });
}

/** The seconds to wait a gRPC error's trailers name (a positive whole number), if any. */
export function retryAfterOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const metadata = (error as { metadata?: unknown }).metadata;
  if (!(metadata instanceof Metadata)) return undefined;
  const value = metadata.get(RETRY_AFTER_KEY)[0];
  const seconds = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : undefined;
  return seconds !== undefined && seconds > 0 ? seconds : undefined;
}
