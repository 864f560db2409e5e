import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { ConfigError } from '@flotilla/platform/config';
import { NodeLimit, parseNodeLimit } from '@flotilla/platform/licence';

import type { ClusterMessage } from '@flotilla/cluster/protocol';

import { isClusterCommand, runCommand, summarise } from './cluster-control';
import { PUBLIC_TLS_CERT_ENV } from './haproxy-config-public-certificate';
import { haproxyVersion } from './haproxy-process';
import { LocalCluster, repoRoot, startLocalCluster } from './local-cluster';
import type { HoldCompletion } from './node-processes';

const MAX_NODES = 16;

function send(message: ClusterMessage): void {
  process.send?.(message);
}

function readOptions(): {
  nodes: number;
  redis: boolean;
  testLicenceNodeLimit?: NodeLimit;
  testHoldCompletion?: HoldCompletion;
  startTimeoutMs?: number;
} {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '2' },
      'no-redis': { type: 'boolean', default: false },
      // Hidden, TEST ONLY (HA tests): a licence signed with a key made at start-up, trusted only by
      // the test orchestrator entry point. Production clusters pass a real FLOTILLA_LICENCE.
      'test-licence-node-limit': { type: 'string' },
      // Hidden, TEST ONLY (fault tests): these nodes (comma-separated) start their executor
      // through a test entry point that holds every task completion this long before sending it.
      'test-hold-completion-on': { type: 'string' },
      'test-hold-completion-ms': { type: 'string', default: '60000' },
      // How long the nodes may take to serve (default 180 s); test harnesses on a loaded machine
      // pass their own wait so the cluster's own, more telling error comes first.
      'start-timeout-ms': { type: 'string' },
    },
  });
  const nodes = Number(values.nodes);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES)
    throw new Error(`--nodes must be a whole number from 1 to ${MAX_NODES} (got ${values.nodes})`);
  const limit = values['test-licence-node-limit'];
  const holdOn = values['test-hold-completion-on'];
  const holdMs = Number(values['test-hold-completion-ms']);
  if (!Number.isInteger(holdMs) || holdMs < 0)
    throw new Error(
      `--test-hold-completion-ms must be a whole number of ms (got ${values['test-hold-completion-ms']})`,
    );
  const startTimeout = values['start-timeout-ms'];
  const startTimeoutMs = startTimeout === undefined ? undefined : Number(startTimeout);
  if (startTimeoutMs !== undefined && (!Number.isInteger(startTimeoutMs) || startTimeoutMs <= 0))
    throw new Error(`--start-timeout-ms must be a positive whole number of ms (got ${startTimeout})`);
  return {
    nodes,
    ...(startTimeoutMs === undefined ? {} : { startTimeoutMs }),
    redis: !values['no-redis'] && process.env['FLOTILLA_CLUSTER_REDIS'] !== 'off',
    ...(limit === undefined ? {} : { testLicenceNodeLimit: parseNodeLimit(limit) }),
    ...(holdOn === undefined ? {} : { testHoldCompletion: { nodes: holdOn.split(','), holdMs } }),
  };
}

/**
 * `npm run cluster -- --nodes N [--no-redis]`: a real local HA cluster — N nodes of six service
 * processes behind HAProxy, one database (PostgreSQL, or FLOTILLA_DB_DIALECT=mssql with
 * FLOTILLA_DB_URL), one Redis, one shared folder. Ctrl-C stops everything.
 * Started with an IPC channel it also takes commands (see cluster-control.ts) for HA tests.
 */
async function main(): Promise<void> {
  const options = readOptions();
  const haproxy = haproxyVersion();
  if (!haproxy) throw new Error('haproxy is not on PATH (Debian: apt-get install -y haproxy)');
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  log(`[cluster] ${haproxy}; starting ${options.nodes} node(s)`);

  // Read by the signal handlers, which may fire while the cluster is still starting.
  const state: { cluster?: LocalCluster; stopStarting?: () => Promise<void> } = {};
  let stopping: Promise<void> | undefined;
  const shutdown = (exitCode: number): void => {
    stopping ??= (async () => {
      log('[cluster] Stopping...');
      await (state.cluster?.stop() ?? state.stopStarting?.());
      process.exit(exitCode);
    })();
  };
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));
  // A test runner that dies must not leave a cluster behind.
  process.on('disconnect', () => shutdown(0));

  const running = await startLocalCluster({
    ...options,
    env: process.env,
    dataDir: process.env['FLOTILLA_DATA_DIR'] ?? join(repoRoot, '.flotilla', 'cluster'),
    log,
    onStopAvailable: (stop) => (state.stopStarting = stop),
  });
  state.cluster = running;
  const certificateNote = process.env[PUBLIC_TLS_CERT_ENV]
    ? `${process.env[PUBLIC_TLS_CERT_ENV]} (${PUBLIC_TLS_CERT_ENV})`
    : `self-signed, made for this machine: ${running.publicCertificatePath} (trust it in your browser or with curl --cacert)`;
  process.on('message', (message: unknown) => {
    if (!isClusterCommand(message)) return;
    runCommand(running, message).then(
      () => send({ type: 'reply', id: message.id, ok: true, cluster: summarise(running) }),
      (error: unknown) =>
        send({
          type: 'reply',
          id: message.id,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
        }),
    );
  });

  log(
    [
      '',
      `Flotilla cluster of ${running.nodes.length} node(s) is running behind HAProxy.`,
      `  Portal:        ${running.baseUrl}/  (plain HTTP ${running.httpRedirectUrl}/ redirects there)`,
      `  Certificate:   ${certificateNote}`,
      `  HAProxy stats: ${running.statsUrl}  (${running.statsUsername} / ${running.statsPassword})`,
      ...running.nodes.map((node) => `  ${node.name}:  ${node.baseUrl}/ (direct)`),
      // A configured password is the operator's: never echoed to the terminal or a log.
      process.env['FLOTILLA_ADMIN_PASSWORD']
        ? `  Sign in:       ${running.adminUsername} / the password in FLOTILLA_ADMIN_PASSWORD`
        : `  Sign in:       ${running.adminUsername} / ${running.adminPassword}`,
      `  Redis:         ${running.redisUrl ?? 'none'}`,
      '  Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  send({ type: 'ready', cluster: summarise(running) });
}

main().catch((error: unknown) => {
  // A configuration problem is the operator's to fix: its message says what, a stack adds nothing.
  const message =
    error instanceof ConfigError
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  console.error(message);
  send({ type: 'failed', error: message });
  process.exit(1);
});
