import { hostname } from 'node:os';

import {
  API_KEY_ID_COLUMN_LENGTH,
  CallerIdentity,
  CLIENT_IP_COLUMN_LENGTH,
  shapedProvenance,
  SIGN_IN_METHOD_COLUMN_LENGTH,
  validRequestId,
} from '@flotilla/platform/grpc';

/** What an event says happened: done, tried and failed (a wrong password), or refused by a rule. */
export const AUDIT_OUTCOMES = ['success', 'failure', 'refused'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/**
 * Column sizes of the provenance columns, the same in every outbox and in the trail (so what an
 * outbox holds always fits the trail). Written out again in the migrations, which must not change.
 */
export const PROVENANCE_LIMITS = {
  signInMethod: SIGN_IN_METHOD_COLUMN_LENGTH,
  apiKeyId: API_KEY_ID_COLUMN_LENGTH,
  socketPeer: CLIENT_IP_COLUMN_LENGTH,
  nodeName: 100,
  requestId: 128,
  outcome: 20,
  projectId: 200,
  environmentId: 200,
} as const;

/** Who and from where beyond the client IP, and what it concerns: each '' when unknown. */
export interface AuditProvenance {
  signInMethod: string;
  apiKeyId: string;
  socketPeer: string;
  nodeName: string;
  requestId: string;
  outcome: string;
  projectId: string;
  environmentId: string;
}

export function defaultNodeName(): string {
  return process.env['FLOTILLA_NODE_NAME']?.trim() || hostname();
}

/**
 * The outcome an action name implies when the producer does not say: `user.login-failed` is a
 * failure, `*-refused` / `*-denied` a refusal, anything else a success (an event is recorded in the
 * transaction of the change it describes, so a recorded change happened).
 */
export function impliedOutcome(action: string): AuditOutcome {
  if (/-failed$/.test(action)) return 'failure';
  if (/-(refused|denied)$/.test(action)) return 'refused';
  return 'success';
}

/** The project / environment an event concerns when the producer does not say: its own resource. */
export function impliedScope(
  resourceType: string,
  resourceId: string,
): { projectId: string; environmentId: string } {
  return {
    projectId: resourceType === 'Project' ? resourceId : '',
    environmentId: resourceType === 'Environment' ? resourceId : '',
  };
}

/** Text cut to a column's size: provenance is evidence, never a reason to fail the change. */
function fit(value: string | undefined, limit: number): string {
  return (value ?? '').slice(0, limit);
}

/**
 * The provenance of one event from its actor (the verified caller: how they signed in, key id,
 * socket peer, request id), this node and what the producer says of the event. A process acting
 * on its own (`system:*`) signed in as `service`.
 */
export function provenanceOf(
  actor: CallerIdentity,
  event: {
    action: string;
    resourceType: string;
    resourceId: string;
    outcome?: AuditOutcome;
    projectId?: string;
    environmentId?: string;
  },
  nodeName: string,
): AuditProvenance {
  const shaped = shapedProvenance(actor);
  const scope = impliedScope(event.resourceType, event.resourceId);
  const signInMethod = actor.userId.startsWith('system:') ? 'service' : (shaped.signInMethod ?? '');
  return {
    signInMethod,
    apiKeyId: shaped.apiKeyId ?? '',
    socketPeer: shaped.socketPeer ?? '',
    nodeName: fit(nodeName, PROVENANCE_LIMITS.nodeName),
    requestId: validRequestId(actor.requestId) ?? '',
    outcome: event.outcome ?? impliedOutcome(event.action),
    projectId: fit(event.projectId ?? scope.projectId, PROVENANCE_LIMITS.projectId),
    environmentId: fit(event.environmentId ?? scope.environmentId, PROVENANCE_LIMITS.environmentId),
  };
}
