import { createServer } from 'node:net';
import { join } from 'node:path';

import { Client, MethodDefinition, ServiceDefinition, ServiceError, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { Controller, INestMicroservice, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GrpcMethod } from '@nestjs/microservices';
import { Client as PgClient } from 'pg';
import { QueryFailedError } from 'typeorm';

import { executorV1, PROTO_ROOT, SERVICE_CONTRACTS } from '@flotilla/contracts';
import { freePort } from '@flotilla/platform/net';

import {
  DATABASE_UNAVAILABLE_MESSAGE,
  DatabaseUnavailableRpcFilter,
  grpcExceptionFilters,
} from './database-unavailable.filter';
import { identityToMetadata } from './caller-identity';
import { FailureReason, failureReasonOf } from './failure-reason';
import { clientChannelOptions, grpcOptions, PROTO_LOADER_OPTIONS } from './grpc-options';
import { clientCredentials, serviceCertificate } from './service-certificates';
import { RpcErrors } from './rpc-errors';

/** A real pg connection error: connecting to a loopback port nothing listens on. */
async function refusedConnection(): Promise<Error> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const client = new PgClient({ host: '127.0.0.1', port, user: 'x', database: 'x' });
  return client.connect().then(
    () => new Error('connected unexpectedly'),
    (error: Error) => error,
  );
}

/** What the handlers throw next; set by each test. */
let failure: () => unknown = () => new Error('unset');

/** The executor's contract served by handlers that fail as told, in a unary and a streaming call. */
@Controller()
class FailingExecutor {
  @GrpcMethod('ExecutorService', 'ReadTaskLog')
  async read(): Promise<executorV1.TaskLogChunk> {
    await Promise.resolve(); // fails after an await, as a handler waiting on the database does
    throw failure();
  }

  @GrpcMethod('ExecutorService', 'FollowTaskLog')
  follow(): never {
    throw failure();
  }
}

@Module({ controllers: [FailingExecutor] })
class FailingExecutorModule {}

/** How a call ended: its status, details and the reason its trailers name (if any). */
interface Ended {
  code: status;
  details: string;
  reason?: FailureReason;
}

function ended(error: ServiceError | null): Ended {
  if (!error) return { code: status.OK, details: '' };
  const reason = failureReasonOf(error);
  return { code: error.code, details: error.details, ...(reason ? { reason } : {}) };
}

/** A plain grpc-js client for ExecutorService, loaded from the same .proto as the server. */
/** The gateway reading a task's log for a user with TaskView (the call policy of both methods). */
function asTaskViewer() {
  return identityToMetadata({
    userId: 'u-viewer',
    username: 'viewer',
    clientIp: '',
    permissions: ['TaskView'],
  });
}

class ExecutorClient {
  private readonly client: Client;
  private readonly service: ServiceDefinition;

  constructor(url: string) {
    const contract = SERVICE_CONTRACTS.executor;
    const definition = loadSync(join(PROTO_ROOT, contract.protoFile), PROTO_LOADER_OPTIONS);
    this.service = definition[`${contract.packageName}.${contract.serviceName}`] as ServiceDefinition;
    this.client = new Client(url, clientCredentials(serviceCertificate()), clientChannelOptions('executor'));
  }

  /** The status a unary ReadTaskLog ends with. */
  read(): Promise<Ended> {
    const rpc = this.service['ReadTaskLog'] as MethodDefinition<object, object>;
    return new Promise((resolve) =>
      this.client.makeUnaryRequest(
        rpc.path,
        rpc.requestSerialize,
        rpc.responseDeserialize,
        { taskId: 't1' },
        asTaskViewer(),
        (error) => resolve(ended(error)),
      ),
    );
  }

  /** The status a server-streaming FollowTaskLog ends with. */
  follow(): Promise<Ended> {
    const rpc = this.service['FollowTaskLog'] as MethodDefinition<object, object>;
    const call = this.client.makeServerStreamRequest(
      rpc.path,
      rpc.requestSerialize,
      rpc.responseDeserialize,
      { taskId: 't1' },
      asTaskViewer(),
    );
    return new Promise((resolve) => {
      call.on('data', () => undefined);
      call.on('error', (error: ServiceError) => resolve(ended(error)));
      call.on('end', () => resolve(ended(null)));
    });
  }

  close(): void {
    this.client.close();
  }
}

describe('gRPC exception filters (a real Nest gRPC server and grpc-js client)', () => {
  let app: INestMicroservice;
  let client: ExecutorClient;
  let refused: Error;
  const warnings: string[] = [];

  beforeAll(async () => {
    refused = await refusedConnection();
    const url = `127.0.0.1:${await freePort()}`;
    app = await NestFactory.createMicroservice(FailingExecutorModule, {
      ...grpcOptions('executor', url),
      logger: false,
    });
    app.useGlobalFilters(...grpcExceptionFilters());
    await app.listen();
    client = new ExecutorClient(url);
  });
  afterAll(async () => {
    client.close();
    await app.close();
  });
  beforeEach(() => {
    warnings.length = 0;
    jest
      .spyOn(Logger.prototype, 'warn')
      .mockImplementation((message: unknown) => void warnings.push(String(message)));
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('answers a call that hit a database connection error (as TypeORM wraps it) with UNAVAILABLE, warning without the statement’s parameters', async () => {
    failure = () =>
      new QueryFailedError('UPDATE server_tasks SET error_message = $1', ['s3cret-value'], refused);

    await expect(client.read()).resolves.toEqual({
      code: status.UNAVAILABLE,
      details: DATABASE_UNAVAILABLE_MESSAGE,
      reason: FailureReason.DatabaseUnavailable,
    });
    expect(warnings).toEqual([
      expect.stringContaining(
        '/flotilla.executor.v1.ExecutorService/ReadTaskLog answered UNAVAILABLE: [ECONNREFUSED]',
      ),
    ]);
    expect(warnings[0]).not.toContain('s3cret-value');
  });

  it('answers UNAVAILABLE for a bare connection error too, unary and streaming', async () => {
    failure = () => refused;

    await expect(client.read()).resolves.toEqual({
      code: status.UNAVAILABLE,
      details: DATABASE_UNAVAILABLE_MESSAGE,
      reason: FailureReason.DatabaseUnavailable,
    });
    await expect(client.follow()).resolves.toEqual({
      code: status.UNAVAILABLE,
      details: DATABASE_UNAVAILABLE_MESSAGE,
      reason: FailureReason.DatabaseUnavailable,
    });
  });

  it('answers a plain error as before: UNKNOWN, "Internal server error"', async () => {
    failure = () => new Error('some bug');

    await expect(client.read()).resolves.toEqual({ code: status.UNKNOWN, details: 'Internal server error' });
    await expect(client.follow()).resolves.toEqual({
      code: status.UNKNOWN,
      details: 'Internal server error',
    });
  });

  it('passes an RpcException through with its code and message', async () => {
    failure = () => RpcErrors.notFound('task t1 not found');

    await expect(client.read()).resolves.toEqual({ code: status.NOT_FOUND, details: 'task t1 not found' });
  });
});

describe('DatabaseUnavailableRpcFilter warnings', () => {
  const host = (path: string) =>
    ({ getArgByIndex: (index: number) => (index === 2 ? { getPath: () => path } : undefined) }) as never;

  it('warns once per five seconds during an outage, counting the calls in between', async () => {
    const warnings: string[] = [];
    jest
      .spyOn(Logger.prototype, 'warn')
      .mockImplementation((message: unknown) => void warnings.push(String(message)));
    let now = 1000;
    const sut = new DatabaseUnavailableRpcFilter(() => now);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const answer = (path: string) =>
      new Promise((resolve) => sut.catch(refused, host(path)).subscribe({ error: resolve }));

    await expect(answer('/a/One')).resolves.toMatchObject({
      code: status.UNAVAILABLE,
      message: DATABASE_UNAVAILABLE_MESSAGE,
    });
    now += 4999;
    await answer('/a/Two');
    await answer('/a/Three');
    now += 1;
    await answer('/a/Four');

    expect(warnings).toEqual([
      '/a/One answered UNAVAILABLE: [ECONNREFUSED] connect ECONNREFUSED 127.0.0.1:5432',
      '/a/Four answered UNAVAILABLE: [ECONNREFUSED] connect ECONNREFUSED 127.0.0.1:5432 (and 2 more call(s) since the last warning)',
    ]);
    jest.restoreAllMocks();
  });
});
