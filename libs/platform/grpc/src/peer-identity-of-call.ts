import type { ServerInterceptingCallInterface } from '@grpc/grpc-js';
import { TLSSocket } from 'node:tls';

import { PeerIdentity, peerIdentityFromCertificate } from './peer-identity';

/**
 * The peer identity of a server call, read once per TLS connection instead of once per call.
 *
 * grpc-js answers getAuthContext() with socket.getPeerCertificate(), which builds the whole
 * certificate as a JS object (subject, issuer, key, fingerprints, raw DER) on every call: profiled
 * at about 8 % of the orchestrator's CPU under REST load, for a value that cannot change while the
 * connection lives. So the identity is kept per HTTP/2 session, which is one TLS connection:
 * - only for TLS 1.3, which has no renegotiation (under TLS 1.2 a client could renegotiate with
 *   another certificate mid-connection; there every call reads the certificate again);
 * - in a WeakMap, so it goes with the connection (a new connection, e.g. after a certificate
 *   rotation, is read afresh);
 * - reaching the session through grpc-js internals (its server call keeps the HTTP/2 stream). If an
 *   upgrade moves them, sessionOfCall() finds none and every call takes getAuthContext() again:
 *   slower, never wrong. peer-identity-of-call.spec.ts fails in that case, so it is noticed.
 */
const identityBySession = new WeakMap<object, PeerIdentity | undefined>();

/** What grpc-js 1.14's BaseServerInterceptingCall holds (and ServerInterceptingCall wraps as nextCall). */
interface CallInternals {
  stream?: { session?: { socket?: unknown } };
  nextCall?: unknown;
}

/** How deep a chain of server interceptors is followed to the call that holds the stream. */
const MAX_INTERCEPTOR_DEPTH = 8;

/** The HTTP/2 session a server call runs on and its TLS socket, when grpc-js's internals show them. */
export function sessionOfCall(call: object): { session: object; socket: TLSSocket } | undefined {
  let current: unknown = call;
  for (let depth = 0; depth < MAX_INTERCEPTOR_DEPTH && typeof current === 'object' && current; depth += 1) {
    const { stream, nextCall } = current as CallInternals;
    const session = stream?.session;
    if (session) {
      // http2 hands out a proxy of the socket, the same object for the session's whole life.
      const socket = session.socket;
      return socket instanceof TLSSocket ? { session, socket } : undefined;
    }
    current = nextCall;
  }
  return undefined;
}

/** The identity the call's verified client certificate names, or undefined (none, or several). */
export function peerIdentityOfCall(
  call: Pick<ServerInterceptingCallInterface, 'getAuthContext'>,
): PeerIdentity | undefined {
  const connection = sessionOfCall(call);
  // Only TLS 1.3 sessions are ever kept, so a kept one needs no second look at its protocol.
  if (connection && identityBySession.has(connection.session))
    return identityBySession.get(connection.session);
  if (!connection || connection.socket.getProtocol() !== 'TLSv1.3')
    return peerIdentityFromCertificate(call.getAuthContext().sslPeerCertificate);
  const identity = peerIdentityFromCertificate(call.getAuthContext().sslPeerCertificate);
  identityBySession.set(connection.session, identity);
  return identity;
}
