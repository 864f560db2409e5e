import * as grpc from '@grpc/grpc-js';

import { orchestratorV1 } from '@flotilla/contracts';

import { grpcError } from './grpc-double-server';

/** The node records the orchestrator double knows, keyed by name; tests change them. */
export class NodeDoubleState {
  /** What GetNode / Heartbeat report about the gateway's node (drain it to see the ping turn 418). */
  nodeDraining = false;
  updates: orchestratorV1.UpdateNodeRequest[] = [];
  removed: string[] = [];
}

type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => void;

/** "node-offline" is Offline (removable), "node-over" is over the licence limit, others run. */
export function nodeRecord(name: string, state: NodeDoubleState): orchestratorV1.ClusterNode {
  const over = name === 'node-over';
  return {
    name,
    state: name === 'node-offline' ? 'Offline' : state.nodeDraining ? 'Draining' : 'Running',
    lastSeen: '2024-01-01T00:00:00Z',
    taskCap: 5,
    runningTasks: 0,
    isDraining: state.nodeDraining,
    services: ['gateway'],
    version: '0.1.0',
    startedAt: '2024-01-01T00:00:00Z',
    overLicenceLimit: over,
    statusMessage: over ? 'Node node-over is over the licence limit of 1 node' : '',
  };
}

export function nodeHandlers(state: NodeDoubleState): grpc.UntypedServiceImplementation {
  const known = (name: string): boolean => name.startsWith('node-') || name === 'gateway-test-node';
  const heartbeat: Unary<orchestratorV1.HeartbeatRequest, orchestratorV1.ClusterNode> = (call, callback) =>
    callback(null, nodeRecord(call.request.nodeName, state));
  const getNode: Unary<orchestratorV1.NodeNameRequest, orchestratorV1.ClusterNode> = (call, callback) => {
    if (known(call.request.name)) callback(null, nodeRecord(call.request.name, state));
    else callback(grpcError(grpc.status.NOT_FOUND, `Node ${call.request.name} was not found`));
  };
  const listNodes: Unary<orchestratorV1.Empty, orchestratorV1.NodeList> = (_call, callback) =>
    callback(null, { items: ['node-a', 'node-over', 'node-offline'].map((name) => nodeRecord(name, state)) });
  const updateNode: Unary<orchestratorV1.UpdateNodeRequest, orchestratorV1.ClusterNode> = (
    call,
    callback,
  ) => {
    // The loader adds synthetic `_taskCap` oneof keys; record only what the gateway chose to send.
    const { name, taskCap, isDraining } = call.request;
    state.updates.push({ name, taskCap, isDraining });
    const record = nodeRecord(call.request.name, state);
    callback(null, {
      ...record,
      taskCap: call.request.taskCap ?? record.taskCap,
      isDraining: call.request.isDraining ?? record.isDraining,
    });
  };
  const removeNode: Unary<orchestratorV1.NodeNameRequest, orchestratorV1.Empty> = (call, callback) => {
    if (call.request.name !== 'node-offline') {
      callback(grpcError(grpc.status.FAILED_PRECONDITION, `Node ${call.request.name} is still running`));
      return;
    }
    state.removed.push(call.request.name);
    callback(null, {});
  };
  return {
    Heartbeat: heartbeat,
    GetNode: getNode,
    ListNodes: listNodes,
    UpdateNode: updateNode,
    RemoveNode: removeNode,
  };
}
