import type { Interceptor, ServerInterceptor } from '@grpc/grpc-js';

import type { FlotillaService } from '@flotilla/contracts';

import { callerTokenInterceptor } from './client-caller-token';
import { callAuthorizationInterceptor, ServerCallAuthorizationOptions } from './server-call-authorization';

export * from './call-policies';
export * from './call-policy';
export * from './caller-token-claims';
export * from './caller-token-keys';
export * from './caller-token-minter';
export * from './caller-token-scope';
export * from './caller-token-verifier';
export {
  callerTokenMintingEnabled,
  disableCallerTokenMinting,
  enableCallerTokenMinting,
  withCallerToken,
} from './client-caller-token';
export { CallAuthorizer, callAuthorizer } from './server-call-authorization';
// The server side's peer identity (read once per TLS connection); exported for the benchmarks.
export { peerIdentityOfCall } from '../peer-identity-of-call';
export type { ServerCallAuthorizationOptions } from './server-call-authorization';

/**
 * The server interceptors of `service`: verify the peer certificate and the caller token, set the
 * identity metadata from them alone, apply the method's call policy. Trusts the caller-token
 * public keys of FLOTILLA_PKI_DIR (or options.pkiDir).
 */
export function serverCallInterceptors(
  service: FlotillaService,
  options?: ServerCallAuthorizationOptions,
): ServerInterceptor[] {
  return [callAuthorizationInterceptor(service, options)];
}

/**
 * Client interceptors of a client of `target`: forward the caller token a service received, or,
 * in the gateway (enableCallerTokenMinting), sign one for `target` from the outgoing identity.
 */
export function callerTokenClientInterceptors(target: FlotillaService): Interceptor[] {
  return [callerTokenInterceptor(target)];
}
