import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { Agent } from 'undici';

import type { NodeLimit } from '@flotilla/platform/licence';
import { ensureClusterPki, PkiLayout } from '@flotilla/platform/pki';
import { ensureMasterKeyFile, hasMasterKeyConfigured, MASTER_KEY_FILE_ENV } from '@flotilla/platform/secrets';

import { ClusterDatabase, provideClusterDatabase } from './cluster-database';
import { ClusterRedis, hasRedisServer, startRedisServer } from './cluster-redis';
import { freePorts } from '@flotilla/platform/net';
import { GRPC_SERVICES, GrpcServiceName, readHaproxyTemplate, renderHaproxyConfig } from './haproxy-config';
import { ensurePublicTlsCertificate } from './haproxy-config-public-certificate';
import { HaproxyProcess, startHaproxy } from './haproxy-process';
import { HoldCompletion, NodePorts, NodeProcesses } from './node-processes';
import { createTestLicence, TestLicence } from './test-licence';

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

/** `1`: HAProxy logs every user request (httplog) into the cluster's output, prefixed [haproxy]. */
export const HAPROXY_ACCESS_LOG_ENV = 'FLOTILLA_HAPROXY_ACCESS_LOG';

/** Users' address (HTTPS, and HTTP that redirects to it). */
export const PUBLIC_BIND_HOST = '127.0.0.1';
/**
 * The nodes' address: HAProxy's gRPC frontends and stats page. Another loopback address (Linux
 * routes all of 127/8 to lo), so nothing listening for users shares it.
 */
export const INTERNAL_BIND_HOST = '127.0.0.2';

export interface LocalCluster {
  /** HAProxy's HTTPS frontend (`https://127.0.0.1:<port>`). */
  baseUrl: string;
  /** HAProxy's plain HTTP frontend: it only redirects (308) to baseUrl. */
  httpRedirectUrl: string;
  /** Users' certificate (PEM, no key): self-signed unless FLOTILLA_PUBLIC_TLS_CERT names one. */
  publicCertificatePem: string;
  /** A file holding publicCertificatePem (for a browser or `curl --cacert`). */
  publicCertificatePath: string;
  /** On the internal address, behind HTTP basic authentication (statsUsername / statsPassword). */
  statsUrl: string;
  statsUsername: string;
  statsPassword: string;
  adminUsername: string;
  adminPassword: string;
  databaseUrl: string;
  /** The Redis URL in use, if any; `redis` is set only when this tool runs the server. */
  redisUrl: string | undefined;
  redis: ClusterRedis | undefined;
  /** HAProxy's gRPC frontend (internal host:port) for each service (mutual TLS, passed through). */
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

/**
 * Polls users' ping through HAProxy's HTTPS frontend until a gateway answers 200, trusting the
 * public certificate for this one client only (nothing process-wide trusts it).
 */
async function waitForPublicPing(baseUrl: string, certificatePem: string, timeoutMs: number): Promise<void> {
  const dispatcher = new Agent({ connect: { ca: certificatePem } });
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  try {
    while (Date.now() < deadline) {
      try {
        const response = await fetch(`${baseUrl}/api/health/ping`, {
          dispatcher,
          signal: AbortSignal.timeout(2000),
        } as RequestInit);
        await response.arrayBuffer();
        if (response.status === 200) return;
        last = `HTTP ${response.status}`;
      } catch (error) {
        const cause = (error as { cause?: unknown }).cause;
        last =
          cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await dispatcher.close();
  }
  throw new Error(`${baseUrl}/api/health/ping did not answer 200 within ${timeoutMs} ms (last: ${last})`);
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
    const haproxyPorts = 3 + GRPC_SERVICES.length;
    const ports = await freePorts(haproxyPorts + options.nodes * perNode);
    const [httpPort, httpsPort, statsPort] = ports;
    const haproxyGrpc = grpcPortsFrom(ports.slice(3, haproxyPorts));
    const nodePorts: NodePorts[] = [];
    for (let index = 0; index < options.nodes; index += 1) {
      const from = haproxyPorts + index * perNode;
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
    // Users' certificate: never from the cluster CA above (see haproxy-config-public-certificate.ts).
    const publicTls = await ensurePublicTlsCertificate(join(options.dataDir, 'public-tls'), options.env);
    if (publicTls.created) log(`[cluster] made a self-signed certificate for users: ${publicTls.bundlePath}`);
    const statsPassword =
      options.env['FLOTILLA_HAPROXY_STATS_PASSWORD'] ?? randomBytes(18).toString('base64url');
    const statsUsername = 'admin';
    const config = renderHaproxyConfig(readHaproxyTemplate(), {
      publicBindHost: PUBLIC_BIND_HOST,
      internalBindHost: INTERNAL_BIND_HOST,
      httpPort,
      httpsPort,
      publicTlsCertificate: publicTls.bundlePath,
      statsPort,
      stats: { username: statsUsername, password: statsPassword },
      grpcPorts: haproxyGrpc,
      nodes: nodePorts.map((ports, index) => ({
        name: names[index],
        host: '127.0.0.1',
        httpPort: ports.http,
        grpcPorts: ports.grpc,
      })),
      checkCertificate: new PkiLayout(pkiDir).leaf(LOAD_BALANCER_NODE, 'haproxy').certificate,
      adminSocket: join(options.dataDir, 'haproxy-admin.sock'),
      accessLog: options.env[HAPROXY_ACCESS_LOG_ENV] === '1',
    });
    // startHaproxy waits for a port on 127.0.0.1: the plain HTTP frontend is the one there now
    // (the stats page moved to the internal address).
    const haproxy: HaproxyProcess = await startHaproxy(
      join(options.dataDir, 'haproxy.cfg'),
      config,
      httpPort,
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
        env[`FLOTILLA_${GRPC_ENV[service]}_GRPC_URL`] = `${INTERNAL_BIND_HOST}:${haproxyGrpc[service]}`;
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
    const baseUrl = `https://${PUBLIC_BIND_HOST}:${httpsPort}`;
    await waitForPublicPing(baseUrl, publicTls.certificatePem, timeoutMs);

    return {
      baseUrl,
      httpRedirectUrl: `http://${PUBLIC_BIND_HOST}:${httpPort}`,
      publicCertificatePem: publicTls.certificatePem,
      publicCertificatePath: publicTls.certificatePath,
      statsUrl: `http://${INTERNAL_BIND_HOST}:${statsPort}/stats`,
      statsUsername,
      statsPassword,
      adminUsername: options.env['FLOTILLA_ADMIN_USERNAME'] ?? 'admin',
      adminPassword,
      databaseUrl: database.url,
      redisUrl,
      redis,
      grpcUrls: Object.fromEntries(
        GRPC_SERVICES.map((service) => [service, `${INTERNAL_BIND_HOST}:${haproxyGrpc[service]}`]),
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
