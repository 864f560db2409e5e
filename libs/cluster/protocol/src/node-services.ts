/** The six services of a node, in start order: dependencies first, the HTTP edge last. */
export const NODE_SERVICES = [
  'audit',
  'auth',
  'artifact-store',
  'task-orchestrator',
  'deployment-executor',
  'gateway',
] as const;

export type NodeServiceName = (typeof NODE_SERVICES)[number];
