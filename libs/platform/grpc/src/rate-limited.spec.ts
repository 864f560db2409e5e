import { Metadata, status } from '@grpc/grpc-js';

import { failureReasonOf, FailureReason } from './failure-reason';
import { rateLimitedError, RETRY_AFTER_KEY, retryAfterOf } from './rate-limited';

describe(rateLimitedError.name, () => {
  it('carries RESOURCE_EXHAUSTED, the rate-limited reason and whole seconds (at least 1) in its trailers', () => {
    const error = rateLimitedError('Too many failed sign-ins', 12.2).getError() as {
      code: number;
      details: string;
      metadata: Metadata;
    };
    expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(error.details).toBe('Too many failed sign-ins');
    expect(failureReasonOf(error)).toBe(FailureReason.RateLimited);
    expect(retryAfterOf(error)).toBe(13);
    expect(retryAfterOf(rateLimitedError('x', 0).getError())).toBe(1);
  });

  it('ignores a retry-after that is not a positive whole number', () => {
    for (const value of ['0', '-3', '1e3', 'soon', '']) {
      const metadata = new Metadata();
      metadata.set(RETRY_AFTER_KEY, value);
      expect(retryAfterOf({ code: status.RESOURCE_EXHAUSTED, metadata })).toBeUndefined();
    }
    expect(retryAfterOf(new Error('plain'))).toBeUndefined();
  });
});
