import { X509Certificate } from 'node:crypto';
import { createConnection } from 'node:net';
import { basename } from 'node:path';

import { PKI_COMMAND, readPkiFile } from './pki-files';
import { PkiLayout } from './pki-layout';

/**
 * HAProxy's runtime API (the admin `stats socket`), just enough to swap a certificate it holds in
 * memory: HAProxy reads `crt` files once, at start, so a certificate reissued on disk (a CA
 * rotation's `reissue`) is not presented until it is swapped here or HAProxy reloads.
 *
 * `set ssl cert <name> <<` + PEM, then `commit ssl cert <name>`, where <name> is the file name as
 * HAProxy's config wrote it. HAProxy 2.6 applies it to server-side certificates too (a server's
 * `crt`, which its health checks present): tried against 2.6.12, the next check handshakes with
 * the new certificate, no reload, no connection cut.
 */

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * Sends one command and resolves with HAProxy's whole answer. One command per connection: without
 * `prompt` HAProxy answers and closes, so the end of the answer is the close.
 */
export function haproxyRuntimeCommand(
  socketPath: string,
  command: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let answer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.once('error', (error) =>
      reject(new Error(`HAProxy's runtime API at ${socketPath}: ${error.message}`)),
    );
    socket.once('close', (hadError) => {
      if (!hadError) resolve(answer);
    });
    socket.once('connect', () => socket.write(command.endsWith('\n') ? command : `${command}\n`));
  });
}

/** The certificate files HAProxy holds (`show ssl cert`), by the names its config gave them. */
export async function haproxyCertificateNames(socketPath: string): Promise<string[]> {
  const answer = await haproxyRuntimeCommand(socketPath, 'show ssl cert');
  return (
    answer
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      // A '*' marks a transaction not committed yet; the name is the same.
      .map((line) => line.replace(/^\*/, ''))
  );
}

/**
 * The one certificate HAProxy holds whose file is named `fileName` (its check certificate is
 * `.../haproxy.crt`); throws listing what it holds when there is none or more than one.
 */
export async function findHaproxyCertificate(socketPath: string, fileName: string): Promise<string> {
  const names = [...new Set(await haproxyCertificateNames(socketPath))];
  const matching = names.filter((name) => basename(name) === fileName);
  if (matching.length === 1) return matching[0];
  throw new Error(
    `HAProxy at ${socketPath} holds ${matching.length === 0 ? 'no' : 'several'} certificate(s) named ${fileName} ` +
      `(it holds: ${names.join(', ') || 'none'}); name the one to swap as HAProxy's config writes it`,
  );
}

export interface SwappedCertificate {
  /** The name HAProxy holds it under. */
  name: string;
  /** Serial number (upper-case hex) HAProxy reports after the commit: the new certificate's. */
  serial: string;
  subject: string;
  issuer: string;
}

function fieldOf(answer: string, field: string): string | undefined {
  return new RegExp(`^${field}: *(.*)$`, 'm').exec(answer)?.[1]?.trim();
}

/**
 * Replaces, in HAProxy's memory, the certificate held as `name` with `certificatePem` (leaf, then
 * chain) and `privateKeyPem`, and checks HAProxy now reports the new serial. A failed step aborts
 * the transaction so the old certificate stays in use and a later swap can start afresh.
 */
export async function swapHaproxyCertificate(
  socketPath: string,
  name: string,
  certificatePem: string,
  privateKeyPem: string,
): Promise<SwappedCertificate> {
  // An empty line ends the payload: the PEM blocks must hold none.
  const payload = `${certificatePem}\n${privateKeyPem}`
    .split('\n')
    .filter((line) => line.trim() !== '')
    .join('\n');
  const expectedSerial = new X509Certificate(certificatePem).serialNumber.toUpperCase();
  const abort = async (why: string): Promise<never> => {
    await haproxyRuntimeCommand(socketPath, `abort ssl cert ${name}`).catch(() => undefined);
    throw new Error(`HAProxy at ${socketPath} kept its certificate ${name}: ${why.trim()}`);
  };
  const set = await haproxyRuntimeCommand(socketPath, `set ssl cert ${name} <<\n${payload}\n\n`);
  if (!/Transaction (created|updated)/.test(set)) return abort(set);
  const commit = await haproxyRuntimeCommand(socketPath, `commit ssl cert ${name}`);
  if (!/Success!/.test(commit)) return abort(commit);
  const shown = await haproxyRuntimeCommand(socketPath, `show ssl cert ${name}`);
  const serial = fieldOf(shown, 'Serial')?.toUpperCase().replace(/^0+/, '') ?? '';
  if (serial !== expectedSerial.replace(/^0+/, ''))
    throw new Error(
      `HAProxy at ${socketPath} reports serial ${serial || 'none'} for ${name} after the commit, not ${expectedSerial}`,
    );
  return {
    name,
    serial,
    subject: fieldOf(shown, 'Subject') ?? '',
    issuer: fieldOf(shown, 'Issuer') ?? '',
  };
}

/** The node name HAProxy's own (`haproxy`) certificate carries in the local cluster's PKI. */
export const HAPROXY_CHECK_NODE = 'load-balancer';
export const HAPROXY_CHECK_IDENTITY = 'haproxy';

/**
 * Makes HAProxy present the `haproxy` certificate now in the PKI folder (after `rotate-ca reissue`):
 * the file of `node` (default load-balancer), swapped into the certificate HAProxy holds as `name`
 * (default: the one it holds whose file is named haproxy.crt).
 */
export async function swapHaproxyCheckCertificate(
  pkiDir: string,
  socketPath: string,
  options: { node?: string; name?: string } = {},
): Promise<SwappedCertificate> {
  const leaf = new PkiLayout(pkiDir).leaf(options.node ?? HAPROXY_CHECK_NODE, HAPROXY_CHECK_IDENTITY);
  const fix = `Issue it with \`${PKI_COMMAND} issue --dir ${pkiDir} --node ${options.node ?? HAPROXY_CHECK_NODE} --identity ${HAPROXY_CHECK_IDENTITY}\``;
  const certificatePem = readPkiFile(leaf.certificate, fix);
  const privateKeyPem = readPkiFile(leaf.privateKey, fix);
  const name = options.name ?? (await findHaproxyCertificate(socketPath, basename(leaf.certificate)));
  return swapHaproxyCertificate(socketPath, name, certificatePem, privateKeyPem);
}
