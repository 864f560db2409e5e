import type { Interceptor, ServerInterceptor } from '@grpc/grpc-js';

import type { FlotillaService } from '@flotilla/contracts';

/**
 * INTERFACE STUB (session 2026-12-01): the server interceptors that verify the caller token and
 * apply each method's call policy. Pass-through until the caller-identity work lands.
 */
export function serverCallInterceptors(_service: FlotillaService): ServerInterceptor[] {
  return [];
}

/**
 * INTERFACE STUB: client interceptors that turn the caller identity in outgoing metadata into a
 * signed caller token for `target` (in the gateway) or forward a received one (other services).
 */
export function callerTokenClientInterceptors(_target: FlotillaService): Interceptor[] {
  return [];
}
