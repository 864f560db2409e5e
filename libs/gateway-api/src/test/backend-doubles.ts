import { createServer } from 'node:net';

import * as grpc from '@grpc/grpc-js';

import { ALL_PERMISSIONS, grantsOfCaller, Permission, permits } from '@flotilla/api-interfaces';
import { artifactsV1, authV1, executorV1, orchestratorV1 } from '@flotilla/contracts';
import { CallerIdentity, identityFromMetadata, identityOfCallerTokenClaims } from '@flotilla/platform/grpc';

import { grpcError, GrpcDouble, startGrpcDouble } from './grpc-double-server';
import { NodeDoubleState, nodeHandlers } from './node-doubles';

export const ADMIN_TOKEN = 'admin-token';
export const VIEWER_TOKEN = 'viewer-token';
/** A user who may see tasks of project p1 in environment e1 only (a scoped team grant). */
export const SCOPED_TASK_VIEWER_TOKEN = 'scoped-task-viewer-token';
/** A task of p1 in e2: out of SCOPED_TASK_VIEWER_TOKEN's scope. */
export const OTHER_ENVIRONMENT_TASK = 'task-in-e2';
const PRINCIPALS: Record<string, authV1.Principal> = {
  [ADMIN_TOKEN]: {
    userId: 'u-admin',
    username: 'admin',
    displayName: 'Admin',
    permissions: [...ALL_PERMISSIONS],
    credential: 'session',
    grants: [],
  },
  [SCOPED_TASK_VIEWER_TOKEN]: {
    userId: 'u-scoped',
    username: 'scoped',
    displayName: 'Scoped',
    permissions: [Permission.TaskView],
    credential: 'session',
    grants: [
      { permissions: [Permission.TaskView], projects: { ids: ['p1'] }, environments: { ids: ['e1'] } },
    ],
  },
  [VIEWER_TOKEN]: {
    userId: 'u-view',
    username: 'viewer',
    displayName: 'Viewer',
    permissions: [Permission.ProjectView],
    credential: 'api-key',
    grants: [],
  },
};

export const PROJECT: orchestratorV1.Project = {
  id: 'p1',
  name: 'Web',
  slug: 'web',
  description: '',
  createdAt: '2024-01-01T00:00:00Z',
  updatedAt: '2024-01-01T00:00:00Z',
};

const TASK: orchestratorV1.ServerTask = {
  id: '',
  name: 'Deploy',
  description: '',
  state: 'Executing',
  deploymentId: 'd1',
  projectId: 'p1',
  environmentId: 'e1',
  nodeName: '',
  queuedAt: '2024-01-01T00:00:00Z',
  startedAt: '',
  completedAt: '',
  errorMessage: '',
  claim: 0,
  nextStep: 0,
  hasWarningsOrErrors: false,
  logLinesLost: 0,
  logProblem: '',
};

export const DOWNLOAD_BYTES = 5 * 1024 * 1024 + 123;
export const downloadByte = (index: number): number => index % 251;

export interface UploadRecord {
  fileName: string;
  chunkSizes: number[];
  cancelled: boolean;
  /** Settles when the call ended, was answered or was cancelled. */
  finished: Promise<void>;
}

/** What the doubles saw, for assertions. */
export class BackendLog extends NodeDoubleState {
  validateTokenCalls = 0;
  loginClientIps: string[] = [];
  /** The whole caller of each sign-in (client IP and raw X-Forwarded-For included). */
  loginCallers: CallerIdentity[] = [];
  orchestratorCallers: CallerIdentity[] = [];
  uploads: UploadRecord[] = [];
  followCancelled = false;
  downloadCancelled = false;
  /** While set, the artifact double stops reading uploads until it settles (backpressure tests). */
  uploadGate: Promise<void> | undefined;
}

type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => void;

function authHandlers(log: BackendLog): grpc.UntypedServiceImplementation {
  const validateToken: Unary<authV1.TokenRequest, authV1.Principal> = (call, callback) => {
    log.validateTokenCalls += 1;
    const principal = PRINCIPALS[call.request.token];
    if (principal) callback(null, principal);
    else callback(grpcError(grpc.status.UNAUTHENTICATED, 'Unknown or expired token'));
  };
  const login: Unary<authV1.LoginRequest, authV1.LoginReply> = (call, callback) => {
    log.loginClientIps.push(callerOf(call.metadata).clientIp);
    log.loginCallers.push(callerOf(call.metadata));
    if (call.request.username !== 'admin' || call.request.password !== 'secret') {
      callback(grpcError(grpc.status.UNAUTHENTICATED, 'Invalid username or password'));
      return;
    }
    const user = {
      id: 'u-admin',
      username: 'admin',
      displayName: 'Admin',
      roles: ['Administrator'],
      isActive: true,
      createdAt: '',
      mustChangePassword: false,
      source: 'local',
    };
    callback(null, { token: ADMIN_TOKEN, expiresAt: '2099-01-01T00:00:00Z', user });
  };
  const logout: Unary<authV1.TokenRequest, authV1.Empty> = (_call, callback) => callback(null, {});
  return { ValidateToken: validateToken, Login: login, Logout: logout };
}

/**
 * The caller as a service sees it: the user the caller token's claims stand for, with the request
 * id that travels beside the token; without a token, the gateway's plain metadata (its own calls,
 * e.g. sign-in). A double does not check the token's signature: the gateway is under test here,
 * not the token.
 */
export function callerOf(metadata: grpc.Metadata): CallerIdentity {
  const plain = identityFromMetadata(metadata);
  const payload = plain.callerToken?.split('.')[1];
  if (!plain.callerToken || !payload) return plain;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const caller = identityOfCallerTokenClaims(claims, plain.callerToken);
  return plain.requestId ? { ...caller, requestId: plain.requestId } : caller;
}

function orchestratorHandlers(log: BackendLog): grpc.UntypedServiceImplementation {
  const getProject: Unary<orchestratorV1.IdRequest, orchestratorV1.Project> = (call, callback) => {
    log.orchestratorCallers.push(callerOf(call.metadata));
    if (call.request.id === PROJECT.id) callback(null, PROJECT);
    else callback(grpcError(grpc.status.NOT_FOUND, `Project ${call.request.id} was not found`));
  };
  const createProject: Unary<orchestratorV1.CreateProjectRequest, orchestratorV1.Project> = (
    call,
    callback,
  ) => {
    log.orchestratorCallers.push(callerOf(call.metadata));
    if (call.request.name === 'Taken')
      callback(grpcError(grpc.status.ALREADY_EXISTS, 'A project named Taken already exists'));
    else callback(null, { ...PROJECT, id: 'p2', name: call.request.name });
  };
  const listProjects: Unary<orchestratorV1.Empty, orchestratorV1.ProjectList> = (_call, callback) =>
    callback(null, { items: [PROJECT] });
  // Every task is p1's, in e1 but one; out of the caller's scope it is NOT_FOUND, as the real one answers.
  const getTask: Unary<orchestratorV1.IdRequest, orchestratorV1.ServerTask> = (call, callback) => {
    const caller = callerOf(call.metadata);
    log.orchestratorCallers.push(caller);
    const id = call.request.id;
    const scope = { projectId: 'p1', environmentId: id === OTHER_ENVIRONMENT_TASK ? 'e2' : 'e1' };
    if (id === 'missing' || !permits(grantsOfCaller(caller), Permission.TaskView, scope))
      callback(grpcError(grpc.status.NOT_FOUND, `Task ${id} was not found`));
    else callback(null, { ...TASK, id, ...scope });
  };
  return {
    GetTask: getTask,
    GetProject: getProject,
    CreateProject: createProject,
    ListProjects: listProjects,
    ...nodeHandlers(log),
  };
}

function artifactHandlers(log: BackendLog): grpc.UntypedServiceImplementation {
  const uploadPackage = (
    call: grpc.ServerReadableStream<artifactsV1.UploadPackageChunk, artifactsV1.Package>,
    callback: grpc.sendUnaryData<artifactsV1.Package>,
  ): void => {
    let finish = (): void => undefined;
    const record: UploadRecord = {
      fileName: '',
      chunkSizes: [],
      cancelled: false,
      finished: new Promise((r) => (finish = r)),
    };
    log.uploads.push(record);
    call.on('data', (chunk: artifactsV1.UploadPackageChunk) => {
      if (chunk.header) {
        record.fileName = chunk.header.fileName;
        if (record.fileName.startsWith('Dup.')) {
          callback(grpcError(grpc.status.ALREADY_EXISTS, 'Package Dup 1.0.0 already exists'));
          finish();
          return;
        }
        const gate = log.uploadGate;
        if (gate) {
          call.pause();
          void gate.then(() => call.resume());
        }
      } else if (chunk.data) {
        record.chunkSizes.push(chunk.data.length);
      }
    });
    call.on('cancelled', () => {
      record.cancelled = true;
      finish();
    });
    call.on('end', () => {
      const sizeBytes = record.chunkSizes.reduce((sum, size) => sum + size, 0);
      callback(null, {
        packageId: 'App',
        version: '1.0.0',
        format: 'zip',
        sizeBytes,
        sha256: 'x',
        publishedAt: '',
        fileName: record.fileName,
      });
      finish();
    });
  };
  const downloadPackage = (
    call: grpc.ServerWritableStream<artifactsV1.PackageRef, artifactsV1.DownloadPackageChunk>,
  ): void => {
    if (call.request.packageId !== 'App') {
      call.emit(
        'error',
        grpcError(
          grpc.status.NOT_FOUND,
          `Package ${call.request.packageId} ${call.request.version} was not found`,
        ),
      );
      return;
    }
    call.on('cancelled', () => (log.downloadCancelled = true));
    const fileName = 'App.1.0.0.zip';
    call.write({
      package: {
        packageId: 'App',
        version: '1.0.0',
        format: 'zip',
        sizeBytes: DOWNLOAD_BYTES,
        sha256: 'x',
        publishedAt: '',
        fileName,
      },
    });
    let offset = 0;
    const pump = (): void => {
      while (offset < DOWNLOAD_BYTES && !call.cancelled) {
        const size = Math.min(64 * 1024, DOWNLOAD_BYTES - offset);
        const data = Buffer.alloc(size);
        for (let i = 0; i < size; i += 1) data[i] = downloadByte(offset + i);
        offset += size;
        if (!call.write({ data })) return void call.once('drain', pump);
      }
      if (!call.cancelled) call.end();
    };
    pump();
  };
  return { UploadPackage: uploadPackage, DownloadPackage: downloadPackage };
}

const line = (message: string): executorV1.TaskLogLine => ({
  timestamp: '2024-01-01T00:00:00Z',
  level: 'Info',
  message,
});

function executorHandlers(log: BackendLog): grpc.UntypedServiceImplementation {
  const followTaskLog = (
    call: grpc.ServerWritableStream<executorV1.ReadTaskLogRequest, executorV1.TaskLogChunk>,
  ): void => {
    const taskId = call.request.taskId;
    if (taskId === 'missing') {
      call.emit('error', grpcError(grpc.status.NOT_FOUND, 'Task missing was not found'));
      return;
    }
    call.on('cancelled', () => {
      if (taskId === 'endless') log.followCancelled = true;
    });
    call.write({ lines: [line('one'), line('two')], nextOffset: 100, complete: false });
    // "endless" never completes: the test disconnects and expects the call cancelled.
    if (taskId === 'endless') return;
    setTimeout(() => {
      call.write({ lines: [line('three')], nextOffset: 150, complete: true });
      call.end();
    }, 50);
  };
  const readTaskLog: Unary<executorV1.ReadTaskLogRequest, executorV1.TaskLogChunk> = (call, callback) =>
    callback(null, { lines: [line('one')], nextOffset: 40 + call.request.offset, complete: true });
  return { FollowTaskLog: followTaskLog, ReadTaskLog: readTaskLog };
}

/** A loopback port nobody listens on: the "audit is down" backend. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface BackendDoubles {
  log: BackendLog;
  urls: { auth: string; orchestrator: string; executor: string; artifacts: string; audit: string };
  close(): Promise<void>;
}

export async function startBackendDoubles(): Promise<BackendDoubles> {
  const log = new BackendLog();
  const doubles: GrpcDouble[] = await Promise.all([
    startGrpcDouble('auth', authHandlers(log)),
    startGrpcDouble('orchestrator', orchestratorHandlers(log)),
    startGrpcDouble('executor', executorHandlers(log)),
    startGrpcDouble('artifacts', artifactHandlers(log)),
  ]);
  const [auth, orchestrator, executor, artifacts] = doubles.map((double) => double.url);
  const audit = `127.0.0.1:${await closedPort()}`;
  return {
    log,
    urls: { auth, orchestrator, executor, artifacts, audit },
    close: async () => {
      await Promise.all(doubles.map((double) => double.close()));
    },
  };
}
