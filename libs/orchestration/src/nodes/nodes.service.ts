import { Inject, Injectable, Logger } from '@nestjs/common';

import { AuditRecorder } from '@flotilla/audit/outbox';
import type { orchestratorV1 } from '@flotilla/contracts';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';

import { MAX_NAME_LENGTH } from '../shared/names';
import { isoOrEmpty } from '../shared/timestamps';
import { Transactions } from '../shared/transactions';
import { describeNodes, LicenceSource, NODE_LICENCE, NodeView } from './node-standing';
import { NodesRepository } from './nodes.repository';

export const MAX_TASK_CAP = 1000;

/** The service name the deployment executor heartbeats with (libs/execution's EXECUTOR_SERVICE_NAME). */
const EXECUTOR_SERVICE = 'deployment-executor';

export type NodesConfig = Pick<FlotillaConfig, 'heartbeatTimeoutMs' | 'taskCap'>;

function toClusterNode(node: NodeView): orchestratorV1.ClusterNode {
  return {
    name: node.name,
    state: node.state,
    lastSeen: isoOrEmpty(node.lastSeen),
    taskCap: node.taskCap,
    runningTasks: node.runningTasks,
    isDraining: node.isDraining,
    services: node.services,
    version: node.version,
    startedAt: isoOrEmpty(node.startedAt),
    overLicenceLimit: node.overLicenceLimit,
    statusMessage: node.statusMessage,
  };
}

function nodeName(raw: string | undefined, field: string): string {
  const name = (raw ?? '').trim();
  if (!name || name.length > MAX_NAME_LENGTH)
    throw RpcErrors.invalidArgument(`${field} is required (at most ${MAX_NAME_LENGTH} characters)`);
  return name;
}

function validTaskCap(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_TASK_CAP)
    throw RpcErrors.invalidArgument(
      `${field} must be a whole number from 0 to ${MAX_TASK_CAP} (got ${value})`,
    );
  return value;
}

/** The node registry: heartbeats, node states, drain and task-cap changes, the licence's node limit. */
@Injectable()
export class NodesService {
  private readonly logger = new Logger('NodeRegistry');
  /** Nodes this replica has already reported as over the limit, so the warning is logged on change only. */
  private readonly reportedOverLimit = new Set<string>();

  constructor(
    @Inject(Transactions) private readonly transactions: Transactions,
    @Inject(NodesRepository) private readonly nodes: NodesRepository,
    @Inject(FLOTILLA_CONFIG) private readonly config: NodesConfig,
    @Inject(NODE_LICENCE) private readonly licence: LicenceSource,
    @Inject(AuditRecorder) private readonly audit: AuditRecorder,
  ) {}

  async heartbeat(request: orchestratorV1.HeartbeatRequest): Promise<orchestratorV1.ClusterNode> {
    const name = nodeName(request.nodeName, 'nodeName');
    const service = (request.service ?? '').trim().slice(0, 50);
    const version = (request.version ?? '').trim().slice(0, 50);
    // proto3 cannot tell 0 from absent, and senders older than the field send nothing: both get ours.
    const defaultTaskCap = request.defaultTaskCap
      ? validTaskCap(request.defaultTaskCap, 'defaultTaskCap')
      : this.config.taskCap;
    // Only the executor knows whether the node is stopping; the other services' heartbeats
    // (proto3 cannot send "unset") leave the mark alone.
    const stopping = service === EXECUTOR_SERVICE ? Boolean(request.stopping) : undefined;
    await this.nodes.heartbeat(name, service, version, defaultTaskCap, stopping);
    const views = await this.views();
    this.reportLicenceStanding(views);
    return toClusterNode(this.required(views, name));
  }

  async list(): Promise<orchestratorV1.NodeList> {
    return { items: (await this.views()).map(toClusterNode) };
  }

  async get(request: orchestratorV1.NodeNameRequest): Promise<orchestratorV1.ClusterNode> {
    const name = nodeName(request.name, 'name');
    return toClusterNode(this.required(await this.views(), name));
  }

  /** The node's state, licence standing and load; undefined for a node that never registered. */
  async standing(name: string): Promise<NodeView | undefined> {
    return (await this.views()).find((node) => node.name === name);
  }

  async update(
    actor: CallerIdentity,
    request: orchestratorV1.UpdateNodeRequest,
  ): Promise<orchestratorV1.ClusterNode> {
    const name = nodeName(request.name, 'name');
    const changes = {
      ...(request.taskCap !== undefined ? { taskCap: validTaskCap(request.taskCap, 'taskCap') } : {}),
      ...(request.isDraining !== undefined ? { isDraining: request.isDraining } : {}),
    };
    await this.transactions.run(async (manager) => {
      const before = await this.nodes.findEntity(manager, name);
      if (!before || !(await this.nodes.update(manager, name, changes)))
        throw RpcErrors.notFound(`node ${name} not found`);
      await this.audit.record(manager, {
        actor,
        action: 'node.modified',
        resourceType: 'ClusterNode',
        resourceId: name,
        details: { changes, before: { taskCap: before.taskCap, isDraining: before.isDraining } },
      });
    });
    this.logger.log(`Node ${name} changed by ${actor.username}: ${JSON.stringify(changes)}`);
    return this.get({ name });
  }

  /** Forgets an Offline node; one still heartbeating (database clock) is refused. */
  async remove(
    actor: CallerIdentity,
    request: orchestratorV1.NodeNameRequest,
  ): Promise<orchestratorV1.Empty> {
    const name = nodeName(request.name, 'name');
    await this.transactions.run(async (manager) => {
      if (!(await this.nodes.removeOffline(manager, name, this.config.heartbeatTimeoutMs))) {
        const node = await this.nodes.findEntity(manager, name);
        if (!node) throw RpcErrors.notFound(`node ${name} not found`);
        throw RpcErrors.failedPrecondition(
          `node ${name} is not Offline (last seen ${node.lastSeen.toISOString()}); only an Offline node can be removed`,
        );
      }
      await this.audit.record(manager, {
        actor,
        action: 'node.removed',
        resourceType: 'ClusterNode',
        resourceId: name,
        details: {},
      });
    });
    this.reportedOverLimit.delete(name);
    return {};
  }

  private async views(): Promise<NodeView[]> {
    return describeNodes(await this.nodes.list(this.config.heartbeatTimeoutMs), this.licence.current());
  }

  private required(views: NodeView[], name: string): NodeView {
    const node = views.find((candidate) => candidate.name === name);
    if (!node) throw RpcErrors.notFound(`node ${name} not found`);
    return node;
  }

  /** A node over the licence limit runs nothing: say so loudly, once per change. */
  private reportLicenceStanding(views: NodeView[]): void {
    for (const node of views) {
      if (node.overLicenceLimit && !this.reportedOverLimit.has(node.name)) {
        this.reportedOverLimit.add(node.name);
        this.logger.warn(`LICENCE: node ${node.name}: ${node.statusMessage}`);
      } else if (!node.overLicenceLimit && this.reportedOverLimit.delete(node.name)) {
        this.logger.log(`LICENCE: node ${node.name} is within the node limit again and takes tasks`);
      }
    }
  }
}
