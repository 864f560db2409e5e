import type { FlotillaService } from '@flotilla/contracts';

import type { CallerIdentity } from '../caller-identity';
import { CallerRule, describeRule, MethodCallPolicy, ServiceCallPolicies } from './call-policy';
import { ARTIFACTS_CALL_POLICIES } from './policies/artifacts.call-policy';
import { AUDIT_CALL_POLICIES } from './policies/audit.call-policy';
import { AUTH_CALL_POLICIES } from './policies/auth.call-policy';
import { EXECUTOR_CALL_POLICIES } from './policies/executor.call-policy';
import { ORCHESTRATOR_CALL_POLICIES } from './policies/orchestrator.call-policy';

/** Every method of every service; a test holds it equal to the .proto files, method for method. */
export const CALL_POLICIES: Readonly<Record<FlotillaService, ServiceCallPolicies>> = {
  auth: AUTH_CALL_POLICIES,
  audit: AUDIT_CALL_POLICIES,
  orchestrator: ORCHESTRATOR_CALL_POLICIES,
  executor: EXECUTOR_CALL_POLICIES,
  artifacts: ARTIFACTS_CALL_POLICIES,
};

/** What the server knows of a call once the peer and the token are checked. */
export interface VerifiedCaller {
  /** The service its certificate names. */
  peer: string;
  /** The user of a verified caller token; undefined when the call carried none. */
  user: CallerIdentity | undefined;
}

function ruleAdmits(rule: CallerRule, caller: VerifiedCaller): boolean {
  if (!(rule.peers as readonly string[]).includes(caller.peer)) return false;
  if (rule.user === 'none') return caller.user === undefined;
  if (!caller.user) return false;
  return rule.user === 'signed-in' || caller.user.permissions.includes(rule.user);
}

function describeCaller(caller: VerifiedCaller): string {
  return caller.user
    ? `${caller.peer} for user ${caller.user.username || caller.user.userId}`
    : `${caller.peer} on its own`;
}

/** Undefined when the policy admits the caller, else the refusal naming the method and what it needs. */
export function refusalOf(
  method: string,
  policy: MethodCallPolicy | undefined,
  caller: VerifiedCaller,
): string | undefined {
  if (!policy) return `${method} declares no call policy, so nobody may call it`;
  if (policy.callers.some((rule) => ruleAdmits(rule, caller))) return undefined;
  const needs = policy.callers.map(describeRule).join(', or ');
  return `${method} may be called by ${needs}; this call came from ${describeCaller(caller)}`;
}
