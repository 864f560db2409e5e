import type { ChainedAuditEvent } from '../chain/audit-chain';

/** One event as a destination receives it (webhook batch item, syslog MSG). Times are ISO UTC. */
export interface StreamedEvent {
  id: string;
  /** Its number in the chain: a receiver orders and de-duplicates by it, or by id. */
  sequence: number;
  occurredAt: string;
  recordedAt: string;
  actor: { id: string; name: string };
  action: string;
  resource: { type: string; id: string };
  /** The event's details object (as stored; text when it is not JSON). */
  details: unknown;
  clientIp: string;
  forwardedFor: string;
  source: string;
  /** The chain link (HMAC-SHA256, hex), so a receiver can later compare it with the trail's. */
  chainHash: string;
  signInMethod: string;
  apiKeyId: string;
  socketPeer: string;
  nodeName: string;
  requestId: string;
  outcome: string;
  projectId: string;
  environmentId: string;
}

function parseDetails(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function toStreamedEvent(event: ChainedAuditEvent): StreamedEvent {
  return {
    id: event.id,
    sequence: event.sequence,
    occurredAt: event.occurredAt.toISOString(),
    recordedAt: event.recordedAt.toISOString(),
    actor: { id: event.actorId, name: event.actorName },
    action: event.action,
    resource: { type: event.resourceType, id: event.resourceId },
    details: parseDetails(event.details),
    clientIp: event.clientIp,
    forwardedFor: event.forwardedFor,
    source: event.source,
    chainHash: event.chainHash,
    signInMethod: event.signInMethod,
    apiKeyId: event.apiKeyId,
    socketPeer: event.socketPeer,
    nodeName: event.nodeName,
    requestId: event.requestId,
    outcome: event.outcome,
    projectId: event.projectId,
    environmentId: event.environmentId,
  };
}
