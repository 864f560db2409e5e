import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import type { NodeLimit } from '@flotilla/platform/licence';
import { ensureClusterPki, PkiLayout } from '@flotilla/platform/pki';
import { ensureMasterKeyFile, hasMasterKeyConfigured, MASTER_KEY_FILE_ENV } from '@flotilla/platform/secrets';

import { ClusterDatabase, provideClusterDatabase } from './cluster-database';
import { ClusterRedis, hasRedisServer, startRedisServer } from './cluster-redis';
import { freePorts } from '@flotilla/platform/net';
import { GRPC_SERVICES, GrpcServiceName, readHaproxyTemplate, renderHaproxyConfig } from './haproxy-config';
import { HaproxyProcess, startHaproxy } from './haproxy-process';
import { HoldCompletion, NodePorts, NodeProcesses } from './node-processes';
import { createTestLicence, TestLicence } from './test-licence';
import { waitForPing } from './wait-for-ping';

export const repoRoot = resolve(__dirname, '..', '..', '..');

export interface LocalClusterOptions {
  nodes: number;
  /** Base environment for every service (FLOTILLA_* tuning, FLOTILLA_DB_URL, FLOTILLA_REDIS_URL...). */
  env: NodeJS.ProcessEnv;
  /** Run with Redis (FLOTILLA_REDIS_URL, else a redis-server started here) or without. */
  redis: boolean;
  /** Shared folder, per-node deploy roots, HAProxy config (and the embedded database if used). */
  dataDir: string;
  log: (line: string) => void;
  startTimeoutMs?: number;
  /** TEST ONLY: sign a licence with this node limit using a key made now (see test-licence.ts). */
  testLicenceNodeLimit?: NodeLimit;
  /** TEST ONLY: these nodes' executors hold each task completion (see node-processes.ts). */
  testHoldCompletion?: HoldCompletion;
  /**
   * Receives, before anything starts, the function that stops what has started so far: a signal
   * that arrives while the cluster is still starting must not leave processes behind.
   */
  onStopAvailable?: (stop: () => Promise<void>) => void;
}

export interface LocalCluster {
  baseUrl: string;
  statsUrl: string;
  adminUsername: string;
  adminPassword: string;
  databaseUrl: string;
  /** The Redis URL in use, if any; `redis` is set only when this tool runs the server. */
  redisUrl: string | undefined;
  redis: ClusterRedis | undefined;
  /** HAProxy's gRPC frontend (host:port) for each service (mutual TLS, passed through). */
  grpcUrls: Record<GrpcServiceName, string>;
  /** The cluster's PKI folder (FLOTILLA_PKI_DIR of every service): CA, trust bundle, certificates. */
  pkiDir: string;
  /** HAProxy, e.g. to make it present its reissued check certificate after a CA rotation. */
  haproxy: HaproxyProcess;
  nodes: NodeProcesses[];
  stop(): Promise<void>;
}

/** The node name HAProxy's own certificate carries (it runs beside the nodes, not on one). */
export const LOAD_BALANCER_NODE = 'load-balancer';

const GRPC_ENV: Record<GrpcServiceName, string> = {
  auth: 'AUTH',
  audit: 'AUDIT',
  orchestrator: 'ORCHESTRATOR',
  executor: 'EXECUTOR',
  artifacts: 'ARTIFACTS',
};

function grpcPortsFrom(ports: number[]): Record<GrpcServiceName, number> {
  return Object.fromEntries(GRPC_SERVICES.map((service, index) => [service, ports[index]])) as Record<
    GrpcServiceName,
    number
  >;
}

/** Applies every migration once, through the same `npm run migrate` an operator runs. */
function migrate(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  return new Promise((resolveMigrate, rejectMigrate) => {
    const child = spawn('npm', ['run', '--silent', 'migrate'], { cwd: repoRoot, env, stdio: 'pipe' });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', rejectMigrate);
    child.once('exit', (code) => {
      if (code === 0) {
        log(`[cluster] ${output.trim().split('\n')[0] ?? 'migrated'}`);
        resolveMigrate();
      } else rejectMigrate(new Error(`npm run migrate failed (${code}):\n${output}`));
    });
  });
}

/**
 * A real local cluster: one database (PostgreSQL, or SQL Server by URL), one Redis (optional), one
 * shared folder, N nodes of six service processes each, and HAProxy in front of the gateways and of every gRPC service. Each
 * node's clients reach the other services through HAProxy, as in production.
 */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const { log } = options;
  const cleanups: (() => Promise<void>)[] = [];
  // One stop, however many ask for it (a signal and a start that fails because of it).
  let stopping: Promise<void> | undefined;
  let stopped = false;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      stopped = true;
      for (const cleanup of cleanups.splice(0).reverse())
        await cleanup().catch((error) => log(String(error)));
    })());
  options.onStopAvailable?.(stop);
  try {
    await mkdir(options.dataDir, { recursive: true });
    const sharedStorage = join(options.dataDir, 'shared');
    await rm(sharedStorage, { recursive: true, force: true });
    await mkdir(sharedStorage, { recursive: true });

    const database: ClusterDatabase = await provideClusterDatabase(options.env, options.dataDir);
    cleanups.push(() => database.stop());
    log(`[cluster] database: ${database.description}`);
    const baseEnv: NodeJS.ProcessEnv = {
      ...options.env,
      FLOTILLA_DB_DIALECT: options.env['FLOTILLA_DB_DIALECT'] ?? 'postgres',
      FLOTILLA_DB_URL: database.url,
    };
    // One master key for the whole local cluster (every orchestrator seals and opens with it).
    if (!hasMasterKeyConfigured(baseEnv))
      baseEnv[MASTER_KEY_FILE_ENV] = ensureMasterKeyFile(join(options.dataDir, 'master.key')).path;
    await migrate(baseEnv, log);
    const testLicence: TestLicence | undefined =
      options.testLicenceNodeLimit === undefined
        ? undefined
        : await createTestLicence(options.dataDir, options.testLicenceNodeLimit);
    if (testLicence) {
      baseEnv['FLOTILLA_LICENCE'] = testLicence.licenceXml;
      delete baseEnv['FLOTILLA_LICENCE_FILE'];
      log(
        `[cluster] TEST licence (test key, test orchestrator entry point): node limit ${testLicence.nodeLimit}`,
      );
    } else if (!baseEnv['FLOTILLA_LICENCE'] && !baseEnv['FLOTILLA_LICENCE_FILE'] && options.nodes > 1) {
      log(
        '[cluster] No licence (FLOTILLA_LICENCE / FLOTILLA_LICENCE_FILE): only ONE node runs tasks; the others answer 418 and take none',
      );
    }

    let redis: ClusterRedis | undefined;
    let redisUrl = options.redis ? options.env['FLOTILLA_REDIS_URL'] : undefined;
    if (options.redis && !redisUrl) {
      if (hasRedisServer()) {
        const started = await startRedisServer(log);
        redis = started;
        cleanups.push(() => started.stop());
        redisUrl = redis.url;
      } else log('[cluster] redis-server is not on PATH: running without Redis (slower wake-ups)');
    }
    log(`[cluster] redis: ${redisUrl ?? 'none'}`);

    // One draw for every port, so none is handed out twice.
    const perNode = 1 + GRPC_SERVICES.length;
    const ports = await freePorts(2 + GRPC_SERVICES.length + options.nodes * perNode);
    const [httpPort, statsPort] = ports;
    const haproxyGrpc = grpcPortsFrom(ports.slice(2, 2 + GRPC_SERVICES.length));
    const nodePorts: NodePorts[] = [];
    for (let index = 0; index < options.nodes; index += 1) {
      const from = 2 + GRPC_SERVICES.length + index * perNode;
      const [http, ...grpc] = ports.slice(from, from + perNode);
      nodePorts.push({ http, grpc: grpcPortsFrom(grpc) });
    }
    const names = nodePorts.map((_, index) => `node-${index + 1}`);
    const unknown = options.testHoldCompletion?.nodes.filter((name) => !names.includes(name)) ?? [];
    if (unknown.length)
      throw new Error(`--test-hold-completion-on names no node of this cluster: ${unknown.join(', ')}`);
    // One PKI for the whole local cluster (its nodes share a machine): made at the first start,
    // reused later; HAProxy's check certificate is the `haproxy` identity of node `load-balancer`.
    const pkiDir = resolve(options.env['FLOTILLA_PKI_DIR'] ?? join(options.dataDir, 'pki'));
    const pki = await ensureClusterPki(pkiDir, names);
    await ensureClusterPki(pkiDir, [LOAD_BALANCER_NODE], ['haproxy']);
    if (pki.created.length > 0)
      log(`[cluster] PKI in ${pkiDir}: made ${pki.created.length} file(s) (CA ${pki.signingCaId})`);
    baseEnv['FLOTILLA_PKI_DIR'] = pkiDir;
    const config = renderHaproxyConfig(readHaproxyTemplate(), {
      bindHost: '127.0.0.1',
      httpPort,
      statsPort,
      grpcPorts: haproxyGrpc,
      nodes: nodePorts.map((ports, index) => ({
        name: names[index],
        host: '127.0.0.1',
        httpPort: ports.http,
        grpcPorts: ports.grpc,
      })),
      checkCertificate: new PkiLayout(pkiDir).leaf(LOAD_BALANCER_NODE, 'haproxy').certificate,
      adminSocket: join(options.dataDir, 'haproxy-admin.sock'),
    });
    const haproxy: HaproxyProcess = await startHaproxy(
      join(options.dataDir, 'haproxy.cfg'),
      config,
      statsPort,
      log,
    );
    cleanups.push(() => haproxy.stop());

    const adminPassword = options.env['FLOTILLA_ADMIN_PASSWORD'] ?? randomBytes(12).toString('base64url');
    const portalDir = join(repoRoot, 'dist', 'apps', 'portal', 'browser');
    const nodes = nodePorts.map((ports, index) => {
      const name = names[index];
      const env: NodeJS.ProcessEnv = {
        ...baseEnv,
        FLOTILLA_NODE_NAME: name,
        FLOTILLA_SHARED_STORAGE: sharedStorage,
        FLOTILLA_DEPLOY_ROOT: join(options.dataDir, 'nodes', name, 'deployments'),
        FLOTILLA_ADMIN_PASSWORD: adminPassword,
        FLOTILLA_HTTP_HOST: '127.0.0.1',
        FLOTILLA_HTTP_PORT: String(ports.http),
        FLOTILLA_TRUSTED_PROXIES: options.env['FLOTILLA_TRUSTED_PROXIES'] ?? '127.0.0.1',
        FLOTILLA_PORTAL_DIR: options.env['FLOTILLA_PORTAL_DIR'] ?? (existsSync(portalDir) ? portalDir : ''),
        FLOTILLA_REDIS_URL: redisUrl ?? '',
        // Not FLOTILLA_*, so deployment scripts (which never see FLOTILLA_* variables) can tell
        // which node ran them — HA tests record it in their side effects.
        CLUSTER_NODE_NAME: name,
        // Scripts get an environment built from nothing; this one name is handed to them on purpose.
        FLOTILLA_SCRIPT_PASS_ENV: options.env['FLOTILLA_SCRIPT_PASS_ENV'] ?? 'CLUSTER_NODE_NAME',
      };
      for (const service of GRPC_SERVICES) {
        env[`FLOTILLA_${GRPC_ENV[service]}_GRPC_LISTEN`] = `127.0.0.1:${ports.grpc[service]}`;
        env[`FLOTILLA_${GRPC_ENV[service]}_GRPC_URL`] = `127.0.0.1:${haproxyGrpc[service]}`;
      }
      if (!redisUrl) delete env['FLOTILLA_REDIS_URL'];
      if (!env['FLOTILLA_PORTAL_DIR']) delete env['FLOTILLA_PORTAL_DIR'];
      return new NodeProcesses(name, ports, env, repoRoot, log, {
        licenceKeyFile: testLicence?.publicKeyFile,
        holdCompletionMs: options.testHoldCompletion?.nodes.includes(name)
          ? options.testHoldCompletion.holdMs
          : undefined,
      });
    });
    cleanups.push(async () => {
      await Promise.all(nodes.map((node) => node.stop()));
    });
    // Stopped while starting (a signal): start no node the cleanups above no longer reach.
    if (stopped) throw new Error('the cluster was stopped while starting');
    for (const node of nodes) node.start();

    const timeoutMs = options.startTimeoutMs ?? 180_000;
    // A node is up once all six services serve (see waitUntilServing); then HAProxy must route
    // to at least one gateway.
    await Promise.all(nodes.map((node) => node.waitUntilServing(timeoutMs)));
    const baseUrl = `http://127.0.0.1:${httpPort}`;
    await waitForPing(`${baseUrl}/api/health/ping`, [200], timeoutMs);

    return {
      baseUrl,
      statsUrl: `http://127.0.0.1:${statsPort}/stats`,
      adminUsername: options.env['FLOTILLA_ADMIN_USERNAME'] ?? 'admin',
      adminPassword,
      databaseUrl: database.url,
      redisUrl,
      redis,
      grpcUrls: Object.fromEntries(
        GRPC_SERVICES.map((service) => [service, `127.0.0.1:${haproxyGrpc[service]}`]),
      ) as Record<GrpcServiceName, string>,
      nodes,
      pkiDir,
      haproxy,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
