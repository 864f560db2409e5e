import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { credentials, Metadata, ServiceError, status } from '@grpc/grpc-js';

import { CHANNEL_OPTIONS, loadServiceDefinition } from '@flotilla/platform/grpc';
import { FLOTILLA_SERVICE_IDENTITIES, haproxyRuntimeCommand, PkiLayout } from '@flotilla/platform/pki';

const repoRoot = resolve(__dirname, '..', '..', '..');

/** `npm run pki -- <args>` on `pkiDir`, as an operator runs it; resolves with what it printed. */
export function runPki(pkiDir: string, ...args: string[]): Promise<string> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn('npm', ['run', '--silent', 'pki', '--', ...args, '--dir', pkiDir], {
      cwd: repoRoot,
      env: { ...process.env, FLOTILLA_PKI_DIR: pkiDir },
      stdio: 'pipe',
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', rejectRun);
    child.once('exit', (code) =>
      code === 0
        ? resolveRun(output.trim())
        : rejectRun(new Error(`npm run pki -- ${args.join(' ')} failed (${code}):\n${output}`)),
    );
  });
}

/** The certificate file of every product process of the cluster (each reloads its own). */
export function serviceCertificateFiles(pkiDir: string, nodes: readonly string[]): string[] {
  const layout = new PkiLayout(pkiDir);
  return nodes.flatMap((node) =>
    FLOTILLA_SERVICE_IDENTITIES.map((identity) => layout.leaf(node, identity).certificate),
  );
}

/**
 * Resolves once every certificate file of `files` was named by a "certificates reloaded from
 * <file>" line (libs/platform/grpc WatchedCertificateFiles) printed after line `fromLine` of the
 * cluster's output: then every process serves and calls with what the last phase wrote.
 */
export async function waitForReloads(
  output: () => string,
  fromLine: number,
  files: readonly string[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reloaded = output()
      .split('\n')
      .slice(fromLine)
      .filter((line) => line.includes('certificates reloaded from '));
    const missing = files.filter((file) => !reloaded.some((line) => line.includes(`from ${file} and`)));
    if (missing.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`in ${timeoutMs} ms, these processes did not reload: ${missing.join(', ')}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

export const outputLineCount = (output: () => string): number => output().split('\n').length;

/** One gRPC server as HAProxy sees it: `UP`, `UP 1/2` (one check failed), `DOWN`...; the last check. */
export interface ServerState {
  status: string;
  /** HAProxy's code for the last check: L7OK, L6TOUT (handshake timed out), L6RSP (TLS refused)... */
  checkStatus: string;
  lastCheck: string;
}

/** Every gRPC server in HAProxy (`grpc_<svc>_servers/<node>`), from the runtime API's `show stat`. */
export async function grpcServerStates(adminSocket: string): Promise<Record<string, ServerState>> {
  const csv = await haproxyRuntimeCommand(adminSocket, 'show stat');
  const [header, ...rows] = csv.trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const at = (name: string): number => columns.indexOf(name);
  const states: Record<string, ServerState> = {};
  for (const row of rows) {
    const cells = row.split(',');
    const backend = cells[at('pxname')];
    const server = cells[at('svname')];
    if (backend?.startsWith('grpc_') && server !== 'BACKEND' && server !== 'FRONTEND')
      states[`${backend}/${server}`] = {
        status: cells[at('status')],
        checkStatus: cells[at('check_status')],
        lastCheck: cells[at('last_chk')],
      };
  }
  return states;
}

/** A server HAProxy took out (DOWN, or on its way back), not one with a single failed check. */
export const isOut = (state: ServerState): boolean => !state.status.startsWith('UP');

/**
 * A check the server refused at the TLS layer: what a check certificate the servers no longer trust
 * looks like. With TLS 1.3 the client's side of the handshake completes before the server checks
 * its certificate, so HAProxy sees the refusal as a reset (SOCKERR "Connection reset by peer") or,
 * with TLS 1.2, as L6RSP "SSL handshake failure" (seen when the swap was left out: every gRPC
 * server went DOWN within 3 s of `finish`). A slow answer on a loaded machine is L7TOUT / L6TOUT.
 */
export const isRefusedCheck = (state: ServerState): boolean =>
  /^(L6RSP|SOCKERR)/.test(state.checkStatus) || /handshake|reset/i.test(state.lastCheck);

export interface LeafCopy {
  certificatePem: string;
  privateKeyPem: string;
}

export function copyLeaf(pkiDir: string, node: string, identity: string): LeafCopy {
  const leaf = new PkiLayout(pkiDir).leaf(node, identity);
  return {
    certificatePem: readFileSync(leaf.certificate, 'utf8'),
    privateKeyPem: readFileSync(leaf.privateKey, 'utf8'),
  };
}

/**
 * One ListNodes call on a fresh connection (its own channel) to the orchestrator at `url`,
 * presenting `leaf` and trusting `trustPem` for the server; resolves with the status code.
 * ListNodes admits the operator's certificate on its own, so OK means the handshake passed.
 */
export function listNodesWith(url: string, leaf: LeafCopy, trustPem: string): Promise<status> {
  const Service = loadServiceDefinition('orchestrator');
  const client = new Service(
    url,
    credentials.createSsl(
      Buffer.from(trustPem),
      Buffer.from(leaf.privateKeyPem),
      Buffer.from(leaf.certificatePem),
    ),
    { ...CHANNEL_OPTIONS, 'grpc.ssl_target_name_override': 'orchestrator.flotilla.internal' },
  ) as unknown as {
    ListNodes(
      request: object,
      metadata: Metadata,
      options: { deadline: Date },
      callback: (error: ServiceError | null) => void,
    ): void;
    close(): void;
  };
  return new Promise((resolveCall) =>
    client.ListNodes({}, new Metadata(), { deadline: new Date(Date.now() + 10_000) }, (error) => {
      client.close();
      resolveCall(error ? error.code : status.OK);
    }),
  );
}

/** HAProxy's runtime socket in the cluster's data folder (tools/cluster local-cluster.ts), beside shared/. */
export const adminSocketOf = (sharedStorage: string): string =>
  join(sharedStorage, '..', 'haproxy-admin.sock');
