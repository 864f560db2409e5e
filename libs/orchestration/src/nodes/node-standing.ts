import type { EffectiveLicence } from '@flotilla/platform/licence';

import type { NodeRecord } from './nodes.repository';

/** What the node registry needs of the licence in force. */
export type NodeLicence = Pick<EffectiveLicence, 'nodeLimit' | 'label'>;

/** The licence in force now: it can change while the cluster runs (a licence expires at midnight UTC). */
export interface LicenceSource {
  current(): NodeLicence;
}
export const NODE_LICENCE = Symbol('NODE_LICENCE');

/** A licence that never changes (tests, and anything that needs no expiry). */
export function fixedLicence(licence: NodeLicence): LicenceSource {
  return { current: () => licence };
}

export type NodeState = 'Offline' | 'Draining' | 'Running';

/** A node as operators and the claim see it: its record plus what it may do and why. */
export interface NodeView extends NodeRecord {
  state: NodeState;
  overLicenceLimit: boolean;
  statusMessage: string;
}

/** A node stopping after SIGTERM drains too: it finishes its tasks and takes no new one. */
export function nodeState(node: Pick<NodeRecord, 'isOffline' | 'isDraining' | 'isStopping'>): NodeState {
  if (node.isOffline) return 'Offline';
  return node.isDraining || node.isStopping ? 'Draining' : 'Running';
}

/**
 * Names of the nodes beyond the licence's node limit. Offline nodes do not count; the others are
 * ordered by first registration (ties by name, so every replica agrees) and the first `limit` are
 * within it. A node keeps its place for as long as its row exists, so a restart does not demote it.
 */
export function nodesOverLicenceLimit(
  nodes: readonly Pick<NodeRecord, 'name' | 'startedAt' | 'isOffline'>[],
  licence: Pick<NodeLicence, 'nodeLimit'>,
): Set<string> {
  if (licence.nodeLimit === 'Unlimited') return new Set();
  const live = nodes
    .filter((node) => !node.isOffline)
    .sort(
      (a, b) =>
        a.startedAt.getTime() - b.startedAt.getTime() || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
  return new Set(live.slice(licence.nodeLimit).map((node) => node.name));
}

export function overLicenceLimitMessage(licence: NodeLicence): string {
  return `Node limit of ${String(licence.nodeLimit)} reached (${licence.label}): this node runs no tasks`;
}

function statusMessage(node: NodeRecord, state: NodeState, overLimit: boolean, licence: NodeLicence): string {
  if (state === 'Offline') return `Offline: not seen since ${node.lastSeen.toISOString()}`;
  if (overLimit) return overLicenceLimitMessage(licence);
  if (node.isStopping) return 'Stopping: finishes its running tasks, takes no new ones, then shuts down';
  if (state === 'Draining') return 'Draining: finishes its running tasks and takes no new ones';
  return `Running: ${node.runningTasks} of ${node.taskCap} task slots in use`;
}

export function describeNodes(nodes: readonly NodeRecord[], licence: NodeLicence): NodeView[] {
  const overLimit = nodesOverLicenceLimit(nodes, licence);
  return nodes.map((node) => {
    const state = nodeState(node);
    const over = overLimit.has(node.name);
    return {
      ...node,
      state,
      overLicenceLimit: over,
      statusMessage: statusMessage(node, state, over, licence),
    };
  });
}

/** Why a node may claim no task now, or undefined when it may. */
export function claimRefusal(node: NodeView | undefined): string | undefined {
  if (!node) return 'the node has not registered (no heartbeat yet)';
  if (node.state === 'Offline') return 'the node is offline';
  if (node.overLicenceLimit) return node.statusMessage;
  if (node.isStopping) return 'the node is stopping';
  if (node.state === 'Draining') return 'the node is draining';
  if (node.runningTasks >= node.taskCap)
    return `the node is at its task cap (${node.runningTasks} of ${node.taskCap})`;
  return undefined;
}
