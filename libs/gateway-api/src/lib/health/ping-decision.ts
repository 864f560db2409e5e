import type { PingResponse } from '@flotilla/api-interfaces';
import type { KnownNodeState } from '@flotilla/cluster/heartbeat';

/** 200 serving, 418 draining / over the licence limit / stopping, 503 cut off from the cluster. */
export type PingStatus = 200 | 418 | 503;

export interface PingInput {
  nodeName: string;
  version: string;
  /** The gateway received SIGTERM and is finishing in-flight requests. */
  stopping: boolean;
  known: KnownNodeState | undefined;
  heartbeatTimeoutMs: number;
  /** This gateway's clock, informational only. */
  time: string;
}

export interface PingDecision {
  status: PingStatus;
  body: PingResponse;
}

/**
 * Octopus `octopusservernodes/ping` semantics for the load balancer. A node that has not heard
 * from the cluster for the heartbeat timeout leaves the pool (503): the rest of the cluster
 * already considers it dead, so it must not take users either.
 */
export function decidePing(input: PingInput): PingDecision {
  const node = input.known?.node;
  const body: PingResponse = {
    name: input.nodeName,
    state: node?.state ?? 'Unknown',
    isDraining: node?.isDraining ?? false,
    overLicenceLimit: node?.overLicenceLimit ?? false,
    statusMessage: node?.statusMessage ?? '',
    lastSeen: node?.lastSeen ?? '',
    taskCap: node?.taskCap ?? 0,
    runningTasks: node?.runningTasks ?? 0,
    services: node?.services ?? [],
    version: input.version,
    startedAt: node?.startedAt ?? '',
    time: input.time,
  };
  if (input.stopping) {
    return { status: 418, body: { ...body, statusMessage: `Node ${input.nodeName} is stopping` } };
  }
  if (!input.known || input.known.ageMs > input.heartbeatTimeoutMs) {
    const since = input.known ? ` for ${Math.round(input.known.ageMs / 1000)} s` : ' yet';
    return {
      status: 503,
      body: {
        ...body,
        statusMessage: `Node ${input.nodeName} has not reached the cluster's orchestrator${since}`,
      },
    };
  }
  const cluster = input.known.node;
  if (cluster.state === 'Offline') {
    return {
      status: 503,
      body: { ...body, statusMessage: body.statusMessage || 'The cluster considers this node offline' },
    };
  }
  if (cluster.isDraining || cluster.state === 'Draining') {
    return {
      status: 418,
      body: { ...body, statusMessage: body.statusMessage || `Node ${input.nodeName} is draining` },
    };
  }
  if (cluster.overLicenceLimit) {
    return {
      status: 418,
      body: {
        ...body,
        statusMessage: body.statusMessage || `Node ${input.nodeName} is over the licence node limit`,
      },
    };
  }
  return { status: 200, body };
}
