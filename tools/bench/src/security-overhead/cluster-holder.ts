/**
 * A cluster of the tree this file sits in, held up for security-overhead.ts (the parent) until it
 * says stop. The parent copies this file into each tree it compares and runs it there (cwd = that
 * tree), so each cluster is that tree's own code: its cluster tool, services, HAProxy config and
 * PKI handling. It uses only startFlotillaCluster, which both trees have with the same options.
 *
 * Protocol (IPC): argv[2] is a JSON HolderRequest; the holder sends one HolderMessage ('ready' or
 * 'failed'); a 'stop' message, SIGTERM/SIGINT or the parent going away (IPC disconnect) stops the
 * cluster — after its start settles if it is still starting — and ends the process.
 */
import { FlotillaCluster, startFlotillaCluster, startFlotillaNode } from '@flotilla/testing';

export interface HolderRequest {
  nodes: number;
  /**
   * One node straight, without HAProxy or Redis (startFlotillaNode, as `npm start` runs it):
   * security-one-node.ts, which compares CPU per request with nothing in front of the gateway.
   */
  single?: boolean;
  /** Extra environment for every service of the cluster. */
  env: Record<string, string>;
  startTimeoutMs: number;
}

export interface HeldCluster {
  baseUrl: string;
  /**
   * The certificate an HTTPS baseUrl presents (self-signed), for the parent to trust for that
   * origin; absent for a tree whose HAProxy still served plain HTTP.
   */
  publicCertificatePem?: string;
  /** The stats page's `authorization` header, where it has a password. */
  statsAuthorization?: string;
  statsUrl: string;
  adminUsername: string;
  adminPassword: string;
  nodes: { name: string; baseUrl: string }[];
  /** Whether the cluster runs its own redis-server (the tasks' wake-up signal). */
  redis: boolean;
}

export type HolderMessage = { type: 'ready'; cluster: HeldCluster } | { type: 'failed'; error: string };

/** Resolves once the message is handed over (an exit right after a plain send can drop it). */
function send(message: HolderMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, undefined, () => resolve());
  });
}

/** What is held: its description for the parent, and how to stop it. */
interface Running {
  held: HeldCluster;
  stop(): Promise<void>;
}

async function startCluster(request: HolderRequest): Promise<Running> {
  const cluster: FlotillaCluster = await startFlotillaCluster({
    nodes: request.nodes,
    licence: { nodeLimit: 'Unlimited' },
    redis: true,
    env: request.env,
    startTimeoutMs: request.startTimeoutMs,
  });
  const held: HeldCluster = {
    baseUrl: cluster.baseUrl,
    // Read loosely: an older tree's harness has neither field, and this file runs there too.
    publicCertificatePem: (cluster as Partial<FlotillaCluster>).publicCertificatePem,
    statsAuthorization: (cluster as Partial<FlotillaCluster>).statsAuthorization,
    statsUrl: cluster.statsUrl,
    adminUsername: cluster.adminUsername,
    adminPassword: cluster.adminPassword,
    nodes: cluster.nodes.map((node) => ({ name: node.name, baseUrl: node.baseUrl })),
    redis: cluster.redis !== undefined,
  };
  return { held, stop: () => cluster.stop() };
}

async function startSingleNode(request: HolderRequest): Promise<Running> {
  const node = await startFlotillaNode({ env: request.env, startTimeoutMs: request.startTimeoutMs });
  const held: HeldCluster = {
    baseUrl: node.baseUrl,
    statsUrl: '',
    adminUsername: node.adminUsername,
    adminPassword: node.adminPassword,
    nodes: [{ name: 'node', baseUrl: node.baseUrl }],
    redis: false,
  };
  return { held, stop: () => node.stop() };
}

async function hold(request: HolderRequest): Promise<void> {
  let running: Running | undefined;
  let stopping: Promise<void> | undefined;
  let started = false;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // A start still running settles first (startFlotillaCluster cleans up a failed one itself).
      while (!started) await new Promise((wake) => setTimeout(wake, 200));
      await running?.stop();
    })().finally(() => process.exit(0)));

  process.on('message', (message) => {
    if (message === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());

  try {
    running = request.single ? await startSingleNode(request) : await startCluster(request);
  } catch (error) {
    started = true;
    const why = error instanceof Error ? error.message : String(error);
    // The whole message (it holds the cluster's last output) goes to the log the parent shows.
    process.stderr.write(`cluster start failed: ${why}\n`);
    await send({ type: 'failed', error: why });
    await stop();
    return;
  }
  started = true;
  if (stopping) return;
  await send({ type: 'ready', cluster: running.held });
}

if (require.main === module) void hold(JSON.parse(process.argv[2] ?? '{}') as HolderRequest);
