import {
  Metadata,
  ServerInterceptingCall,
  ServerInterceptingCallInterface,
  ServerInterceptor,
  ServerListenerBuilder,
  ResponderBuilder,
  status,
} from '@grpc/grpc-js';

import type { FlotillaService } from '@flotilla/contracts';

import {
  CALLER_TOKEN_METADATA_KEY,
  CallerIdentity,
  clientOrigin,
  canonicalPeerAddress,
  IDENTITY_METADATA_PREFIX,
  identityToMetadata,
  REQUEST_ID_METADATA_KEY,
  systemIdentity,
  validRequestId,
} from '../caller-identity';
import { peerIdentityOfCall } from '../peer-identity-of-call';
import { CALL_POLICIES, refusalOf } from './call-policies';
import type { ServiceCallPolicies } from './call-policy';
import { TrustedCallerTokenKeys } from './caller-token-keys';
import { CallerTokenRejected, CallerTokenVerifier } from './caller-token-verifier';

export interface ServerCallAuthorizationOptions {
  /** The PKI folder whose caller-token/*.pub keys are trusted; default FLOTILLA_PKI_DIR. */
  pkiDir?: string;
  /** Instead of pkiDir (tests). */
  trustedKeys?: TrustedCallerTokenKeys;
  /** Instead of the declared ones (tests of the mechanism itself). */
  policies?: ServiceCallPolicies;
}

/** The origin keys of caller-identity.ts (the user keys are never read from a call). */
const ORIGIN_KEYS = {
  clientIp: 'x-flotilla-client-ip',
  forwardedFor: 'x-flotilla-forwarded-for',
  requestId: REQUEST_ID_METADATA_KEY,
  socketPeer: 'x-flotilla-socket-peer',
} as const;

type Decision = { admitted: true; metadata: Metadata } | { admitted: false; code: status; details: string };

/** '/flotilla.auth.v1.AuthService/Login' → 'AuthService/Login' (what refusals name). */
function methodName(path: string): { qualified: string; method: string } {
  const [, servicePath = '', method = ''] = /^\/([^/]*)\/([^/]*)$/.exec(path) ?? [];
  const service = servicePath.slice(servicePath.lastIndexOf('.') + 1);
  return { qualified: `${service}/${method}`, method };
}

/** Removes every identity key that reached the port: only what this server verified is set again. */
function stripIdentity(metadata: Metadata): void {
  for (const key of Object.keys(metadata.toJSON())) {
    if (key.startsWith(IDENTITY_METADATA_PREFIX)) metadata.remove(key);
  }
}

function firstText(metadata: Metadata, key: string): string {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : '';
}

/**
 * The peer acting on its own. The gateway alone also says where the user's request came from
 * (client IP, X-Forwarded-For, request id) before there is a user to sign a token for: sign-in
 * and token resolution are audited with the client's address. That is audit evidence from an
 * authenticated peer, shaped like any origin (clientOrigin), never authority: the actor stays the
 * gateway's system identity, with no permissions.
 */
function ownIdentity(peerService: string, incoming: Metadata): CallerIdentity {
  const own = systemIdentity(peerService);
  if (peerService !== 'gateway') return own;
  const origin = clientOrigin(
    firstText(incoming, ORIGIN_KEYS.clientIp),
    firstText(incoming, ORIGIN_KEYS.forwardedFor),
  );
  const requestId = validRequestId(firstText(incoming, ORIGIN_KEYS.requestId));
  const socketPeer = canonicalPeerAddress(firstText(incoming, ORIGIN_KEYS.socketPeer));
  return {
    ...own,
    clientIp: origin.clientIp,
    ...(origin.forwardedFor ? { forwardedFor: origin.forwardedFor } : {}),
    ...(requestId ? { requestId } : {}),
    ...(socketPeer ? { socketPeer } : {}),
  };
}

/**
 * Decides one call: who the peer is (its verified certificate), who the user is (a verified
 * caller token, or none), whether the method's policy admits them. Pure apart from key reads,
 * so the interceptor below stays plumbing.
 */
export class CallAuthorizer {
  constructor(
    private readonly service: FlotillaService,
    private readonly verifier: CallerTokenVerifier,
    private readonly policies: ServiceCallPolicies,
  ) {}

  decide(
    path: string,
    call: Pick<ServerInterceptingCallInterface, 'getAuthContext'>,
    metadata: Metadata,
  ): Decision {
    const { qualified, method } = methodName(path);
    const peer = peerIdentityOfCall(call);
    if (!peer) {
      return {
        admitted: false,
        code: status.UNAUTHENTICATED,
        details: `${qualified}: calls need a client certificate from the cluster CA naming a Flotilla identity`,
      };
    }
    const tokens = metadata.get(CALLER_TOKEN_METADATA_KEY);
    const own = ownIdentity(peer.service, metadata);
    const requestId = validRequestId(firstText(metadata, ORIGIN_KEYS.requestId));
    stripIdentity(metadata);
    let user: CallerIdentity | undefined;
    if (tokens.length > 1) {
      return {
        admitted: false,
        code: status.UNAUTHENTICATED,
        details: `${qualified}: more than one caller token`,
      };
    }
    const token = tokens[0];
    if (token !== undefined) {
      try {
        if (typeof token !== 'string') throw new CallerTokenRejected('The caller token is not text');
        // Its own service, or the peer's: a service acting onward for a user forwards the token
        // it was given, which names that service (the mTLS peer here), never a third one.
        user = this.verifier.verify(token, [...new Set([this.service, peer.service])]);
        // One token serves a caller's requests for a while (caller-token-minter.ts): the request
        // id comes beside it, from the authenticated peer that sent it (the gateway, or a service
        // acting onward for the same request). A correlation key, never authority. A token of an
        // earlier release carries its own, which stands.
        if (requestId && !user.requestId) user = { ...user, requestId };
      } catch (error) {
        const reason = error instanceof CallerTokenRejected ? error.message : String(error);
        return { admitted: false, code: status.UNAUTHENTICATED, details: `${qualified}: ${reason}` };
      }
    }
    // Own properties only: a path naming 'constructor' or 'toString' finds no policy, not Object's.
    const policy = Object.hasOwn(this.policies, method) ? this.policies[method] : undefined;
    const refusal = refusalOf(qualified, policy, { peer: peer.service, user });
    if (refusal) return { admitted: false, code: status.PERMISSION_DENIED, details: refusal };
    return { admitted: true, metadata: identityToMetadata(user ?? own, metadata) };
  }
}

export function callAuthorizer(
  service: FlotillaService,
  options: ServerCallAuthorizationOptions = {},
): CallAuthorizer {
  const pkiDir = options.pkiDir ?? process.env['FLOTILLA_PKI_DIR'];
  const keys =
    options.trustedKeys ??
    (pkiDir ? TrustedCallerTokenKeys.fromPkiDir(pkiDir) : new TrustedCallerTokenKeys(() => new Map()));
  return new CallAuthorizer(
    service,
    new CallerTokenVerifier(keys),
    options.policies ?? CALL_POLICIES[service],
  );
}

/**
 * The grpc-js server interceptor of `service`: every call is decided before its handler sees it
 * (the handler starts only once the metadata passes); a refused call ends with UNAUTHENTICATED
 * (no or bad credentials) or PERMISSION_DENIED (the method's policy), naming the method.
 */
export function callAuthorizationInterceptor(
  service: FlotillaService,
  options: ServerCallAuthorizationOptions = {},
): ServerInterceptor {
  const authorizer = callAuthorizer(service, options);
  return (descriptor, call) => {
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        let decision: Decision;
        try {
          decision = authorizer.decide(descriptor.path, call, metadata);
        } catch (error) {
          call.sendStatus({
            code: status.INTERNAL,
            details: `Call authorization failed: ${error instanceof Error ? error.message : String(error)}`,
            metadata: new Metadata(),
          });
          return;
        }
        if (decision.admitted) next(decision.metadata);
        else call.sendStatus({ code: decision.code, details: decision.details, metadata: new Metadata() });
      })
      .build();
    const responder = new ResponderBuilder().withStart((next) => next(listener)).build();
    return new ServerInterceptingCall(call, responder);
  };
}
