import { Server, ServiceError, status } from '@grpc/grpc-js';

import type { orchestratorV1 } from '@flotilla/contracts';
import { loadServiceDefinition, serverCredentials, serviceCertificate } from '@flotilla/platform/grpc';

import { ClusterNodeClient, nodeCallTimeoutMs } from './cluster-node-client';

type Answer = 'hang' | 'not-found' | 'node';

/**
 * A real orchestrator stand-in over mutual TLS (the run's test PKI) answering GetNode as told,
 * call by call, and noting the client's address of each call: a new port is a new connection.
 */
async function startRegistry(answers: Answer[]) {
  const peers: string[] = [];
  const server = new Server();
  server.addService(loadServiceDefinition('orchestrator').service, {
    GetNode: (
      call: { getPeer(): string },
      callback: (error: Partial<ServiceError> | null, reply?: orchestratorV1.ClusterNode) => void,
    ) => {
      peers.push(call.getPeer());
      const answer = answers.shift() ?? 'node';
      if (answer === 'not-found') callback({ code: status.NOT_FOUND, details: 'no such node' });
      if (answer === 'node') callback(null, { name: 'node-a' } as orchestratorV1.ClusterNode);
      // 'hang': never answers, as a frozen replica would not.
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', serverCredentials(serviceCertificate('orchestrator')), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { url: `127.0.0.1:${port}`, peers, stop: () => server.forceShutdown() };
}

describe(ClusterNodeClient.name, () => {
  it('waits a quarter of the heartbeat timeout, between 250 ms and 3 s', () => {
    expect(nodeCallTimeoutMs(4000)).toBe(1000);
    expect(nodeCallTimeoutMs(60_000)).toBe(3000);
    expect(nodeCallTimeoutMs(400)).toBe(250);
  });

  it('opens a new connection after a call timed out, so the next one can reach another replica', async () => {
    const registry = await startRegistry(['node', 'hang', 'node']);
    // A 2 s deadline: the first call opens the connection (TLS handshake included), which took
    // more than a 500 ms deadline on a busy CI machine.
    const heartbeatTimeoutMs = 8000;
    const deadlineMs = nodeCallTimeoutMs(heartbeatTimeoutMs);
    const client = new ClusterNodeClient({
      grpc: { orchestrator: registry.url } as never,
      heartbeatTimeoutMs,
    });
    try {
      await expect(client.getNode('node-a')).resolves.toMatchObject({ name: 'node-a' });
      const startedAt = Date.now();
      await expect(client.getNode('node-a')).rejects.toMatchObject({ code: status.DEADLINE_EXCEEDED });
      // The hung call ends at its deadline, not at gRPC's default of never.
      expect(Date.now() - startedAt).toBeLessThan(deadlineMs + 3000);
      await expect(client.getNode('node-a')).resolves.toMatchObject({ name: 'node-a' });
      const [first, timedOut, after] = registry.peers;
      expect(timedOut).toBe(first);
      expect(after).not.toBe(first);
    } finally {
      client.onModuleDestroy();
      registry.stop();
    }
  });

  it('keeps its connection when the orchestrator answers with an error', async () => {
    const registry = await startRegistry(['not-found', 'node']);
    const client = new ClusterNodeClient({
      grpc: { orchestrator: registry.url } as never,
      heartbeatTimeoutMs: 2000,
    });
    try {
      await expect(client.getNode('node-a')).rejects.toMatchObject({ code: status.NOT_FOUND });
      await expect(client.getNode('node-a')).resolves.toMatchObject({ name: 'node-a' });
      expect(registry.peers[1]).toBe(registry.peers[0]);
    } finally {
      client.onModuleDestroy();
      registry.stop();
    }
  });
});
