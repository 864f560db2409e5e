import { Client, Metadata, ServiceError, status } from '@grpc/grpc-js';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';

import type { orchestratorV1 } from '@flotilla/contracts';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import {
  clientChannelOptions,
  clientCredentials,
  identityToMetadata,
  loadServiceDefinition,
  serviceCertificate,
  systemIdentity,
} from '@flotilla/platform/grpc';

/** The two node-registry calls a node makes about itself. */
export interface ClusterNodeCalls {
  heartbeat(request: orchestratorV1.HeartbeatRequest): Promise<orchestratorV1.ClusterNode>;
  getNode(name: string): Promise<orchestratorV1.ClusterNode>;
}

/** A stopped (SIGSTOP) orchestrator behind HAProxy would otherwise hold a call for minutes. */
export const NODE_CALL_TIMEOUT_MS = 3000;

/**
 * A node-registry call waits at most a quarter of the heartbeat timeout (and never more than
 * NODE_CALL_TIMEOUT_MS): a node whose calls hang on one frozen orchestrator must get a second and
 * a third try in, on another replica, before the cluster — and its own ping — count it as gone.
 */
export function nodeCallTimeoutMs(heartbeatTimeoutMs: number): number {
  return Math.max(250, Math.min(NODE_CALL_TIMEOUT_MS, Math.floor(heartbeatTimeoutMs / 4)));
}

type UnaryCallback<T> = (error: ServiceError | null, reply?: T) => void;

interface RawNodeRegistryClient extends Client {
  Heartbeat(
    request: orchestratorV1.HeartbeatRequest,
    metadata: Metadata,
    options: { deadline: number },
    callback: UnaryCallback<orchestratorV1.ClusterNode>,
  ): void;
  GetNode(
    request: orchestratorV1.NodeNameRequest,
    metadata: Metadata,
    options: { deadline: number },
    callback: UnaryCallback<orchestratorV1.ClusterNode>,
  ): void;
}

let orchestratorService: ReturnType<typeof loadServiceDefinition> | undefined;

/** A call that timed out or found no server: the connection it used may lead to a frozen replica. */
const CONNECTION_SUSPECT = new Set<number>([status.DEADLINE_EXCEEDED, status.UNAVAILABLE]);

/**
 * The orchestrator's node registry over gRPC, as the process's own system identity, on a
 * connection of its own that is replaced after a call times out or finds no server.
 *
 * Why its own connection: HAProxy passes gRPC through as TCP (mutual TLS end to end), so it balances
 * connections, not calls. A connection that landed on a replica that then froze (SIGSTOP, a hung
 * event loop) keeps taking this node's heartbeats into the void until HAProxy's checks mark that
 * replica down and cut it; with a heartbeat timeout of a few seconds the healthy node would be
 * counted as gone, and its gateway's ping would take it out of the pool. A new connection is
 * balanced afresh, so the next heartbeat reaches a live replica.
 */
@Injectable()
export class ClusterNodeClient implements ClusterNodeCalls, OnModuleDestroy {
  private client: RawNodeRegistryClient | undefined;
  private readonly url: string;
  private readonly timeoutMs: number;

  constructor(@Inject(FLOTILLA_CONFIG) config: Pick<FlotillaConfig, 'grpc' | 'heartbeatTimeoutMs'>) {
    this.url = config.grpc.orchestrator;
    this.timeoutMs = nodeCallTimeoutMs(config.heartbeatTimeoutMs);
  }

  heartbeat(request: orchestratorV1.HeartbeatRequest): Promise<orchestratorV1.ClusterNode> {
    return this.call(
      (client, metadata, options, callback) => client.Heartbeat(request, metadata, options, callback),
      request.service,
    );
  }

  getNode(name: string): Promise<orchestratorV1.ClusterNode> {
    return this.call(
      (client, metadata, options, callback) => client.GetNode({ name }, metadata, options, callback),
      'node-status',
    );
  }

  onModuleDestroy(): void {
    this.client?.close();
    this.client = undefined;
  }

  private call(
    start: (
      client: RawNodeRegistryClient,
      metadata: Metadata,
      options: { deadline: number },
      callback: UnaryCallback<orchestratorV1.ClusterNode>,
    ) => void,
    service: string,
  ): Promise<orchestratorV1.ClusterNode> {
    const client = this.connection();
    const metadata = identityToMetadata(systemIdentity(service));
    return new Promise((resolve, reject) =>
      start(client, metadata, { deadline: Date.now() + this.timeoutMs }, (error, reply) => {
        if (error) {
          if (CONNECTION_SUSPECT.has(error.code)) this.replace(client);
          reject(error);
        } else {
          resolve(reply as orchestratorV1.ClusterNode);
        }
      }),
    );
  }

  private connection(): RawNodeRegistryClient {
    if (!this.client) {
      orchestratorService ??= loadServiceDefinition('orchestrator');
      const Service = orchestratorService;
      this.client = new Service(this.url, clientCredentials(serviceCertificate()), {
        ...clientChannelOptions('orchestrator'),
        // Its own connection, not one shared with the process's other orchestrator calls.
        'grpc.use_local_subchannel_pool': 1,
      }) as unknown as RawNodeRegistryClient;
    }
    return this.client;
  }

  /** Closes `used` if it is still current; concurrent failures on it replace it once. */
  private replace(used: RawNodeRegistryClient): void {
    if (this.client !== used) return;
    this.client = undefined;
    used.close();
  }
}
