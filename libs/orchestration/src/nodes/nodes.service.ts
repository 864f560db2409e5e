import { Inject, Injectable } from '@nestjs/common';

import type { orchestratorV1 } from '@flotilla/contracts';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { RpcErrors } from '@flotilla/platform/grpc';

import { MAX_NAME_LENGTH } from '../shared/names';
import { isoOrEmpty } from '../shared/timestamps';
import { NodeRecord, NodesRepository } from './nodes.repository';

export function nodeState(
  node: Pick<NodeRecord, 'isOffline' | 'isDraining'>,
): 'Offline' | 'Draining' | 'Running' {
  if (node.isOffline) return 'Offline';
  return node.isDraining ? 'Draining' : 'Running';
}

function toClusterNode(node: NodeRecord): orchestratorV1.ClusterNode {
  return {
    name: node.name,
    state: nodeState(node),
    lastSeen: isoOrEmpty(node.lastSeen),
    taskCap: node.taskCap,
    runningTasks: node.runningTasks,
    isDraining: node.isDraining,
    services: node.services,
    version: node.version,
    startedAt: isoOrEmpty(node.startedAt),
  };
}

@Injectable()
export class NodesService {
  constructor(
    @Inject(NodesRepository) private readonly nodes: NodesRepository,
    @Inject(FLOTILLA_CONFIG) private readonly config: Pick<FlotillaConfig, 'heartbeatTimeoutMs'>,
  ) {}

  async heartbeat(request: orchestratorV1.HeartbeatRequest): Promise<orchestratorV1.ClusterNode> {
    const name = (request.nodeName ?? '').trim();
    if (!name || name.length > MAX_NAME_LENGTH)
      throw RpcErrors.invalidArgument('nodeName is required (at most 200 characters)');
    const service = (request.service ?? '').trim().slice(0, 50);
    const version = (request.version ?? '').trim().slice(0, 50);
    await this.nodes.heartbeat(name, service, version, this.config.heartbeatTimeoutMs);
    const node = (await this.nodes.list(this.config.heartbeatTimeoutMs)).find(
      (candidate) => candidate.name === name,
    );
    if (!node) throw new Error(`node ${name} vanished right after its heartbeat`);
    return toClusterNode(node);
  }

  async list(): Promise<orchestratorV1.NodeList> {
    return { items: (await this.nodes.list(this.config.heartbeatTimeoutMs)).map(toClusterNode) };
  }
}
