import type { Permission } from '@flotilla/api-interfaces';
import type { FlotillaService } from '@flotilla/contracts';

/**
 * Who may call a gRPC method, declared per method the way REST routes declare their access
 * (policies/*.call-policy.ts). A call is let through when one rule matches both the mTLS peer
 * (the certificate's service) and the user side (the verified caller token, or its absence).
 */

/** Identities a certificate may name: the product's services and the operator's tools. */
export type PeerService = FlotillaService | 'gateway' | 'operator';

/** Every service of the product: who may feed the audit trail or report its node's health. */
export const PRODUCT_SERVICES: readonly PeerService[] = [
  'gateway',
  'auth',
  'audit',
  'orchestrator',
  'executor',
  'artifacts',
];

/**
 * The user side of a rule:
 * - 'none': the peer acts on its own (heartbeats, relays, claims, the gateway before a user signed
 *   in); the call carries no caller token and the service sees systemIdentity(peer).
 * - 'signed-in': a verified caller token, whatever the user's permissions.
 * - a Permission: a verified caller token of a user holding it.
 */
export type UserRequirement = 'none' | 'signed-in' | Permission;

export interface CallerRule {
  peers: readonly PeerService[];
  user: UserRequirement;
}

/** One method's policy; `why` says in a sentence who calls it, for the reviewer and the refused. */
export interface MethodCallPolicy {
  callers: readonly CallerRule[];
  why: string;
}

/** A service's policies by proto method name (`ClaimTask`, not `claimTask`). */
export type ServiceCallPolicies = Readonly<Record<string, MethodCallPolicy>>;

/** The gateway acting for a user who holds `permission` ('signed-in': any user). */
export function gatewayUser(permission: Permission | 'signed-in'): CallerRule {
  return { peers: ['gateway'], user: permission };
}

/** These peers acting on their own account. */
export function onTheirOwn(...peers: PeerService[]): CallerRule {
  return { peers, user: 'none' };
}

/** These peers forwarding the token of a user who holds `permission` (delegation). */
export function forUser(permission: Permission | 'signed-in', ...peers: PeerService[]): CallerRule {
  return { peers, user: permission };
}

export function describeRule(rule: CallerRule): string {
  const peers = rule.peers.join('/');
  if (rule.user === 'none') return `${peers} on its own`;
  if (rule.user === 'signed-in') return `${peers} for a signed-in user`;
  return `${peers} for a user with ${rule.user}`;
}
