import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';

import { DatabaseTls, readDatabaseTls } from './database-tls';
import { EnvReader } from './env-reader';
import { readSignInThrottle, SignInThrottleConfig } from './sign-in-throttle-config';

export type { SignInThrottleConfig } from './sign-in-throttle-config';

export type SqlDialect = 'postgres' | 'mssql';

export interface DatabaseConfig {
  dialect: SqlDialect;
  url: string;
  /** FLOTILLA_DB_TLS and friends (database-tls.ts); absent: whatever the URL says, as pg / tedious read it. */
  tls?: DatabaseTls;
}

/** Where each service listens for gRPC, and where its clients find it (HAProxy in a cluster). */
export interface GrpcEndpoints {
  auth: string;
  audit: string;
  orchestrator: string;
  executor: string;
  artifacts: string;
}

export interface FlotillaConfig {
  nodeName: string;
  version: string;
  /** `url` is empty for a process that was given no database (gateway, executor). */
  database: DatabaseConfig;
  /** Absolute path of the shared folder: packages, artifacts, task logs. */
  sharedStorage: string;
  /** Absolute path under which deploy-package steps create release folders. */
  deployRoot: string;
  redisUrl: string | undefined;
  httpHost: string;
  httpPort: number;
  /** Where this process's own gRPC server binds (0.0.0.0:port in production, 127.0.0.1 in tests). */
  grpcListen: GrpcEndpoints;
  /** Where clients connect; the same as grpcListen on a single node. */
  grpc: GrpcEndpoints;
  taskCap: number;
  pollIntervalMs: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  /**
   * How often an executor reports a running task's progress; the report's reply is how a cancel
   * reaches a node without Redis (with Redis the signal asks for a report at once).
   */
  taskProgressIntervalMs: number;
  maxPackageBytes: number;
  /** Most bytes one package may unpack to on a node: a zip/tar bomb fails instead of filling the disk. */
  maxUnpackedBytes: number;
  /** Most entries (files and folders) one package may hold: bounds inodes and extraction time. */
  maxArchiveEntries: number;
  adminUsername: string;
  adminPassword: string | undefined;
  sessionHours: number;
  portalDir: string | undefined;
  /** Proxies (IPs or CIDRs) whose X-Forwarded-For the gateway trusts; empty: the header is ignored. */
  trustedProxies: string[];
  /** The licence XML (FLOTILLA_LICENCE), or the contents of FLOTILLA_LICENCE_FILE; undefined: no licence. */
  licenceXml: string | undefined;
  /** How long a stopping node waits for its running tasks before handing them back to the queue. */
  drainTimeoutMs: number;
  /**
   * How long an executor keeps retrying task log lines that shared storage refuses (full,
   * read-only, I/O errors) before counting them as lost.
   */
  taskLogRetryMs: number;
  /**
   * How often the audit trail's chain gets a signed checkpoint, even when idle (one per cluster per
   * interval, whichever audit service comes first). Verification calls a newest checkpoint older
   * than twice this stale.
   */
  auditCheckpointMs: number;
  /** FLOTILLA_SIGNIN_*: failed sign-ins allowed per account and per client address (sign-in-throttle-config.ts). */
  signInThrottle: SignInThrottleConfig;
}

/** The variables that raise the unpack limits; the executor names them when it refuses a package. */
export const UNPACK_LIMIT_SETTINGS = {
  maxUnpackedBytes: 'FLOTILLA_MAX_UNPACKED_BYTES',
  maxArchiveEntries: 'FLOTILLA_MAX_ARCHIVE_ENTRIES',
} as const;

/**
 * 10x the largest package accepted by default (FLOTILLA_MAX_PACKAGE_BYTES, 2 GiB): real packages
 * unpack to 1.5-5x their size (up to ~10x for text-heavy ones), while deflate reaches ~1000x, so a
 * 2 GiB bomb would otherwise write ~2 TiB.
 */
const DEFAULT_MAX_UNPACKED_BYTES = 20 * 1024 ** 3;
/** Several times a production node_modules tree, and 1.5x what a classic (non-Zip64) zip can hold. */
const DEFAULT_MAX_ARCHIVE_ENTRIES = 100_000;

const DEFAULT_GRPC_PORTS: GrpcEndpoints = {
  auth: '127.0.0.1:50051',
  orchestrator: '127.0.0.1:50052',
  executor: '127.0.0.1:50053',
  artifacts: '127.0.0.1:50054',
  audit: '127.0.0.1:50055',
};

function readEndpoints(reader: EnvReader, suffix: 'LISTEN' | 'URL', defaults: GrpcEndpoints): GrpcEndpoints {
  return {
    auth: reader.endpoint(`FLOTILLA_AUTH_GRPC_${suffix}`, defaults.auth),
    audit: reader.endpoint(`FLOTILLA_AUDIT_GRPC_${suffix}`, defaults.audit),
    orchestrator: reader.endpoint(`FLOTILLA_ORCHESTRATOR_GRPC_${suffix}`, defaults.orchestrator),
    executor: reader.endpoint(`FLOTILLA_EXECUTOR_GRPC_${suffix}`, defaults.executor),
    artifacts: reader.endpoint(`FLOTILLA_ARTIFACTS_GRPC_${suffix}`, defaults.artifacts),
  };
}

function readLicence(reader: EnvReader): string | undefined {
  const inline = reader.optionalString('FLOTILLA_LICENCE');
  const file = reader.optionalString('FLOTILLA_LICENCE_FILE');
  if (inline && file) reader.problem('Set FLOTILLA_LICENCE or FLOTILLA_LICENCE_FILE, not both');
  if (!file) return inline;
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    reader.problem(
      `FLOTILLA_LICENCE_FILE cannot be read: ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  }
}

/**
 * Reads and validates the whole configuration once, at start-up. Every variable is documented
 * in README.md; a bad value stops the process with a message naming the variable.
 */
export function loadFlotillaConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): FlotillaConfig {
  const reader = new EnvReader(env);
  const dialect = reader.oneOf<SqlDialect>('FLOTILLA_DB_DIALECT', ['postgres', 'mssql'], 'postgres');
  // Optional here: only services with tables need it, and DatabaseModule says so when it is missing.
  const url = reader.optionalString('FLOTILLA_DB_URL') ?? '';
  if (url && dialect === 'postgres' && !/^postgres(ql)?:\/\//.test(url)) {
    reader.problem(`FLOTILLA_DB_URL must be a postgres:// URL when FLOTILLA_DB_DIALECT=postgres`);
  }
  if (url && dialect === 'mssql' && !/^(mssql|sqlserver):\/\//.test(url)) {
    reader.problem(`FLOTILLA_DB_URL must be an mssql:// URL when FLOTILLA_DB_DIALECT=mssql`);
  }
  const redisUrl = reader.optionalString('FLOTILLA_REDIS_URL');
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl))
    reader.problem('FLOTILLA_REDIS_URL must be a redis:// URL');
  const listen = readEndpoints(reader, 'LISTEN', DEFAULT_GRPC_PORTS);
  const config: FlotillaConfig = {
    nodeName: reader.string('FLOTILLA_NODE_NAME', hostname()),
    version: reader.string('FLOTILLA_VERSION', '0.1.0'),
    database: { dialect, url, tls: readDatabaseTls(reader, dialect, url) },
    sharedStorage: resolve(reader.string('FLOTILLA_SHARED_STORAGE', '.flotilla/shared')),
    deployRoot: resolve(reader.string('FLOTILLA_DEPLOY_ROOT', '.flotilla/deployments')),
    redisUrl,
    httpHost: reader.string('FLOTILLA_HTTP_HOST', '127.0.0.1'),
    httpPort: reader.int('FLOTILLA_HTTP_PORT', 8080, { min: 0, max: 65535 }),
    grpcListen: listen,
    grpc: readEndpoints(reader, 'URL', listen),
    taskCap: reader.int('FLOTILLA_TASK_CAP', 5, { min: 0, max: 1000 }),
    pollIntervalMs: reader.int('FLOTILLA_POLL_INTERVAL_MS', 2000, { min: 10, max: 600_000 }),
    heartbeatIntervalMs: reader.int('FLOTILLA_HEARTBEAT_INTERVAL_MS', 5000, { min: 100, max: 600_000 }),
    heartbeatTimeoutMs: reader.int('FLOTILLA_HEARTBEAT_TIMEOUT_MS', 30_000, { min: 500, max: 86_400_000 }),
    taskProgressIntervalMs: reader.int('FLOTILLA_TASK_PROGRESS_INTERVAL_MS', 1000, { min: 100, max: 60_000 }),
    maxPackageBytes: reader.int('FLOTILLA_MAX_PACKAGE_BYTES', 2 * 1024 ** 3, {
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
    }),
    maxUnpackedBytes: reader.int(UNPACK_LIMIT_SETTINGS.maxUnpackedBytes, DEFAULT_MAX_UNPACKED_BYTES, {
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
    }),
    maxArchiveEntries: reader.int(UNPACK_LIMIT_SETTINGS.maxArchiveEntries, DEFAULT_MAX_ARCHIVE_ENTRIES, {
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
    }),
    adminUsername: reader.string('FLOTILLA_ADMIN_USERNAME', 'admin'),
    adminPassword: reader.optionalString('FLOTILLA_ADMIN_PASSWORD'),
    sessionHours: reader.int('FLOTILLA_SESSION_HOURS', 12, { min: 1, max: 24 * 30 }),
    portalDir: reader.optionalString('FLOTILLA_PORTAL_DIR'),
    trustedProxies: (reader.optionalString('FLOTILLA_TRUSTED_PROXIES') ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
    licenceXml: readLicence(reader),
    drainTimeoutMs: reader.int('FLOTILLA_DRAIN_TIMEOUT_MS', 60_000, { min: 0, max: 86_400_000 }),
    taskLogRetryMs: reader.int('FLOTILLA_TASK_LOG_RETRY_MS', 60_000, { min: 0, max: 3_600_000 }),
    auditCheckpointMs: reader.int('FLOTILLA_AUDIT_CHECKPOINT_MS', 300_000, { min: 1_000, max: 86_400_000 }),
    signInThrottle: readSignInThrottle(reader),
  };
  if (config.heartbeatTimeoutMs <= config.heartbeatIntervalMs) {
    reader.problem('FLOTILLA_HEARTBEAT_TIMEOUT_MS must be longer than FLOTILLA_HEARTBEAT_INTERVAL_MS');
  }
  reader.done();
  return config;
}
