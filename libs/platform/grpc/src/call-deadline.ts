import { InterceptingCall, Interceptor } from '@grpc/grpc-js';

/**
 * Every unary call gets a deadline unless its caller set one. Without it a call routed to a peer
 * that still holds its TCP connection but no longer answers (a SIGSTOPped node, a hung process)
 * waits forever, and so does the REST request or background loop behind it. Generous, because a
 * slow answer is better than a retried write; HAProxy's layer-7 check takes a frozen backend out
 * long before this fires.
 */
export const DEFAULT_UNARY_DEADLINE_MS = 30_000;

/**
 * Streams (package uploads and downloads, log follows) are left without a deadline: they may
 * rightly last minutes, and HAProxy cuts their sessions when a backend is marked down.
 */
export function unaryDeadlineInterceptor(deadlineMs = DEFAULT_UNARY_DEADLINE_MS): Interceptor {
  return (options, nextCall) => {
    const { requestStream, responseStream } = options.method_definition;
    const needsDeadline = !requestStream && !responseStream && options.deadline === undefined;
    return new InterceptingCall(
      nextCall(needsDeadline ? { ...options, deadline: Date.now() + deadlineMs } : options),
    );
  };
}
