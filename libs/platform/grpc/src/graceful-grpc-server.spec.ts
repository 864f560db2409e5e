import { makeGenericClientConstructor, Server, ServiceError, status } from '@grpc/grpc-js';
import type { ServiceDefinition } from '@grpc/grpc-js';

import { GracefulGrpcServer } from './graceful-grpc-server';
import {
  clientCredentials,
  serverCredentials,
  serviceCertificate,
  targetNameOptions,
} from './service-certificates';

const same = (value: Buffer): Buffer => value;
const SLOW: ServiceDefinition = {
  Slow: {
    path: '/test.Test/Slow',
    requestStream: false,
    responseStream: false,
    requestSerialize: same,
    requestDeserialize: same,
    responseSerialize: same,
    responseDeserialize: same,
  },
};
const Client = makeGenericClientConstructor(SLOW, 'Test');

/**
 * A real grpc-js server whose one method answers after `delayMs`, wrapped as Nest would hold it.
 * `arrived` resolves when the server is running the first call: a fixed sleep instead let CI's
 * loaded machine close the server before the client had even connected.
 */
async function serve(delayMs: number, graceMs: number) {
  const grpcServer = new Server();
  let markArrived!: () => void;
  const arrived = new Promise<void>((resolve) => (markArrived = resolve));
  grpcServer.addService(SLOW, {
    // Unref'd: the call cut by the grace period never answers, and must not keep jest running.
    Slow: (_call: unknown, callback: (error: null, value: Buffer) => void) => {
      markArrived();
      setTimeout(() => callback(null, Buffer.from('done')), delayMs).unref();
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync('127.0.0.1:0', serverCredentials(serviceCertificate('executor')), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const sut = new GracefulGrpcServer({ package: 'test', protoPath: 'unused.proto', url: '' }, graceMs);
  (sut as unknown as { grpcClient: Server }).grpcClient = grpcServer;
  const client = new Client(
    `127.0.0.1:${port}`,
    clientCredentials(serviceCertificate('test-client')),
    targetNameOptions('executor'),
  );
  const call = () =>
    new Promise<{ value?: string; error?: ServiceError }>((resolve) =>
      client.makeUnaryRequest('/test.Test/Slow', same, same, Buffer.from('go'), (error, value?: Buffer) =>
        resolve({ value: value?.toString(), error: error ?? undefined }),
      ),
    );
  return { sut, client, call, arrived };
}

describe(GracefulGrpcServer.name, () => {
  it('lets a call in flight finish, then refuses new calls', async () => {
    const { sut, client, call, arrived } = await serve(300, 5000);
    try {
      const inFlight = call();
      await arrived;
      const closed = sut.close();
      await expect(inFlight).resolves.toEqual({ value: 'done', error: undefined });
      await closed;
      const late = await call();
      expect(late.error?.code).toBe(status.UNAVAILABLE);
    } finally {
      client.close();
    }
  });

  it('cuts a call still running after the grace period', async () => {
    const { sut, client, call, arrived } = await serve(60_000, 200);
    try {
      const inFlight = call();
      await arrived;
      const startedAt = Date.now();
      await sut.close();
      expect(Date.now() - startedAt).toBeLessThan(5000);
      expect((await inFlight).error).toBeDefined();
    } finally {
      client.close();
    }
  });
});
