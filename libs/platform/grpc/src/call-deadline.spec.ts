import { Server, ServerUnaryCall, ServerWritableStream, status } from '@grpc/grpc-js';
import { ClientGrpc, ClientGrpcProxy, ClientProxyFactory } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';

import { executorV1, SERVICE_CONTRACTS } from '@flotilla/contracts';

import { grpcClientOptions } from './grpc-options';
import { serverCredentials, serviceCertificate } from './service-certificates';
import { loadServiceDefinition } from './service-definition';

/**
 * A real grpc-js server whose unary method never answers (as a frozen peer behaves) and whose
 * stream answers only after a pause; clients are built the way GrpcClientsModule builds them.
 */
describe('unary call deadline', () => {
  const DEADLINE_MS = 300;
  let server: Server;
  let url: string;
  const proxies: ClientGrpcProxy[] = [];

  beforeAll(async () => {
    server = new Server();
    server.addService(loadServiceDefinition('executor').service, {
      // Never calls back: the call can only end by the client's deadline or cancellation.
      ReadTaskLog: (_call: ServerUnaryCall<unknown, unknown>) => undefined,
      FollowTaskLog: (call: ServerWritableStream<unknown, executorV1.TaskLogChunk>) => {
        setTimeout(() => {
          call.write({ lines: [], nextOffset: 7, complete: true });
          call.end();
        }, DEADLINE_MS * 3);
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', serverCredentials(serviceCertificate('executor')), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    url = `127.0.0.1:${port}`;
  });

  afterAll(() => {
    for (const proxy of proxies) proxy.close();
    server.forceShutdown();
  });

  function executor(options: ReturnType<typeof grpcClientOptions>): executorV1.ExecutorServiceClient {
    const proxy = ClientProxyFactory.create(options) as unknown as ClientGrpcProxy;
    proxies.push(proxy);
    return (proxy as unknown as ClientGrpc).getService<executorV1.ExecutorServiceClient>(
      SERVICE_CONTRACTS.executor.serviceName,
    );
  }

  it('fails a unary call to a peer that never answers with DEADLINE_EXCEEDED', async () => {
    const client = executor(grpcClientOptions('executor', url, DEADLINE_MS));
    const startedAt = Date.now();
    await expect(
      firstValueFrom(client.readTaskLog({ taskId: 't', offset: 0, tail: 0 })),
    ).rejects.toMatchObject({
      code: status.DEADLINE_EXCEEDED,
    });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
  });

  it('leaves the same call pending without the client options (what the deadline prevents)', async () => {
    const secured = grpcClientOptions('executor', url);
    // The same client with no interceptor at all (TLS kept): no deadline set anywhere.
    const channelOptions = { ...secured.options.channelOptions, interceptors: [] };
    const client = executor({ ...secured, options: { ...secured.options, channelOptions } });
    const outcome = await Promise.race([
      firstValueFrom(client.readTaskLog({ taskId: 't', offset: 0, tail: 0 })).then(
        () => 'answered',
        () => 'failed',
      ),
      new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), DEADLINE_MS * 3)),
    ]);
    expect(outcome).toBe('still waiting');
  });

  it('gives streams no deadline: a slow stream still completes', async () => {
    const client = executor(grpcClientOptions('executor', url, DEADLINE_MS));
    const chunks = await lastValueFrom(
      client.followTaskLog({ taskId: 't', offset: 0, tail: 0 }).pipe(toArray()),
    );
    expect(chunks).toEqual([expect.objectContaining({ nextOffset: 7, complete: true })]);
  });
});
