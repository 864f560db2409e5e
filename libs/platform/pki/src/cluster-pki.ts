import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { x509 } from './x509';

import { currentAuditKeys, ensureAuditKeys } from './audit-keys';
import { CallerTokenKeyFiles, currentCallerTokenKey, ensureCallerTokenKey } from './caller-token-keys';
import {
  CertificateAuthority,
  createCertificateAuthority,
  newCaId,
  issueLeafCertificate,
  loadCertificateAuthority,
} from './certificate-authority';
import {
  ensurePrivateFolder,
  KEY_MODE,
  PKI_COMMAND,
  PUBLIC_MODE,
  readPkiFile,
  writeFileAtomically,
} from './pki-files';
import { assertIdentityName, assertNodeName, DEFAULT_IDENTITIES, PkiLayout } from './pki-layout';

/** A leaf with fewer days left than this is reissued by the next ensureClusterPki (start-up). */
export const LEAF_RENEW_BEFORE_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface EnsureClusterPkiResult {
  /** Files written by this call (relative to the PKI folder); empty on a start that reused everything. */
  created: string[];
  signingCaId: string;
  callerToken: CallerTokenKeyFiles;
}

/** Every CA id in ca/, oldest first (ids sort by creation time). */
export function caIds(layout: PkiLayout): string[] {
  if (!existsSync(layout.caFolder)) return [];
  return readdirSync(layout.caFolder)
    .filter((name) => name.endsWith('.crt'))
    .map((name) => name.slice(0, -'.crt'.length))
    .sort();
}

function caKeyFix(layout: PkiLayout): string {
  return (
    `The CA key signs new certificates: restore it from a backup, or replace the CA with ` +
    `\`${PKI_COMMAND} rotate-ca --dir ${layout.root}\` (the old CA stays trusted during the rollover)`
  );
}

/** The newest CA, which signs. Throws naming the file when its certificate or key cannot be read. */
export async function signingCertificateAuthority(layout: PkiLayout): Promise<CertificateAuthority> {
  const id = caIds(layout).at(-1);
  if (!id) {
    throw new Error(
      `${layout.caFolder} holds no CA: create one with \`${PKI_COMMAND} init --dir ${layout.root}\``,
    );
  }
  const fix = caKeyFix(layout);
  return loadCertificateAuthority(
    id,
    readPkiFile(layout.caCertificate(id), fix),
    readPkiFile(layout.caKey(id), fix),
  );
}

/** Writes a new CA; it becomes the signing one. Key first, so a CA certificate never lacks its key. */
export async function addCertificateAuthority(layout: PkiLayout): Promise<CertificateAuthority> {
  ensurePrivateFolder(layout.caFolder);
  const ca = await createCertificateAuthority(newCaId(caIds(layout)));
  writeFileAtomically(layout.caKey(ca.id), ca.privateKeyPem, KEY_MODE);
  writeFileAtomically(layout.caCertificate(ca.id), ca.certificate.toString('pem') + '\n', PUBLIC_MODE);
  return ca;
}

/** trust-bundle.pem = the certificates of the given CAs (every CA in ca/ by default). */
export function writeTrustBundle(layout: PkiLayout, ids = caIds(layout)): void {
  const fix = `Restore it from a backup or run \`${PKI_COMMAND} status --dir ${layout.root}\``;
  const pems = ids.map((id) => readPkiFile(layout.caCertificate(id), fix).trim());
  writeFileAtomically(layout.trustBundle, pems.join('\n') + '\n', PUBLIC_MODE);
}

/** The CA certificates trust-bundle.pem holds now. */
export function trustedCertificates(layout: PkiLayout): x509.X509Certificate[] {
  const fix = `Write it again with \`${PKI_COMMAND} init --dir ${layout.root}\``;
  const pems = readPkiFile(layout.trustBundle, fix).match(
    /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g,
  );
  return (pems ?? []).map((pem) => new x509.X509Certificate(pem));
}

function leafFix(layout: PkiLayout, node: string, identity: string): string {
  return (
    `Issue a new certificate and key with ` +
    `\`${PKI_COMMAND} issue --dir ${layout.root} --node ${node} --identity ${identity}\``
  );
}

export async function writeLeaf(
  layout: PkiLayout,
  ca: CertificateAuthority,
  node: string,
  identity: string,
  folder = layout.nodeFolder(node),
): Promise<void> {
  const issued = await issueLeafCertificate(ca, identity, node);
  ensurePrivateFolder(folder);
  // Key before certificate: a reader between the two sees a pair that does not match, which the
  // certificate watcher skips (libs/platform/grpc), never a certificate whose key is missing.
  writeFileAtomically(join(folder, `${identity}.key`), issued.privateKeyPem, KEY_MODE);
  writeFileAtomically(join(folder, `${identity}.crt`), issued.certificatePem, PUBLIC_MODE);
}

/** Whether an existing leaf must be issued again: it runs out soon. Missing files throw. */
function leafNeedsRenewal(layout: PkiLayout, node: string, identity: string, now: Date): boolean {
  const paths = layout.leaf(node, identity);
  const fix = leafFix(layout, node, identity);
  const certificate = new x509.X509Certificate(readPkiFile(paths.certificate, fix));
  readPkiFile(paths.privateKey, fix);
  return certificate.notAfter.getTime() - now.getTime() < LEAF_RENEW_BEFORE_DAYS * DAY_MS;
}

/**
 * A node's certificates. A node seen for the first time gets its folder built aside and renamed
 * into place, so processes sharing the PKI folder (test workers, a cluster's nodes) never see a
 * half-made node and two of them making it at once both end with one consistent set.
 */
async function ensureNodeLeaves(
  layout: PkiLayout,
  ca: CertificateAuthority,
  node: string,
  identities: readonly string[],
  now: Date,
): Promise<string[]> {
  const created: string[] = [];
  const folder = layout.nodeFolder(node);
  if (!existsSync(folder)) {
    ensurePrivateFolder(layout.servicesFolder);
    const aside = join(layout.servicesFolder, `.${node}.${randomBytes(6).toString('hex')}.tmp`);
    for (const identity of identities) await writeLeaf(layout, ca, node, identity, aside);
    try {
      renameSync(aside, folder);
      created.push(...identities.map((identity) => `services/${node}/${identity}.crt`));
      return created;
    } catch (error) {
      rmSync(aside, { recursive: true, force: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      // Another process made this node first: use its certificates.
    }
  }
  for (const identity of identities) {
    const paths = layout.leaf(node, identity);
    if (!existsSync(paths.certificate) && !existsSync(paths.privateKey)) {
      await writeLeaf(layout, ca, node, identity);
      created.push(`services/${node}/${identity}.crt`);
    } else if (leafNeedsRenewal(layout, node, identity, now)) {
      await writeLeaf(layout, ca, node, identity);
      created.push(`services/${node}/${identity}.crt (renewed)`);
    }
  }
  return created;
}

/**
 * What `npm start`, `npm run cluster` and the test setup call at every start: the first start
 * creates the CA, the trust bundle, a certificate for every identity on every node and the
 * caller-token key; later starts reuse them, add what a new node or identity needs and renew
 * leaves close to expiry. A file that exists but cannot be read (or half of a pair that is
 * missing) stops it with an error naming the file and the command that fixes it: silently making
 * a new CA would leave every other node of the cluster distrusting this one.
 */
export async function ensureClusterPki(
  dir: string,
  nodes: readonly string[],
  identities: readonly string[] = DEFAULT_IDENTITIES,
  now = new Date(),
): Promise<EnsureClusterPkiResult> {
  nodes.forEach(assertNodeName);
  identities.forEach(assertIdentityName);
  const layout = new PkiLayout(dir);
  ensurePrivateFolder(layout.root);
  const created: string[] = [];
  if (caIds(layout).length === 0 && existsSync(layout.trustBundle))
    return checkNodeFolder(layout, nodes, identities);
  if (caIds(layout).length === 0) {
    const ca = await addCertificateAuthority(layout);
    created.push(`ca/${ca.id}.crt`);
  }
  if (!existsSync(layout.trustBundle)) {
    writeTrustBundle(layout);
    created.push('trust-bundle.pem');
  }
  const ca = await signingCertificateAuthority(layout);
  for (const node of nodes) created.push(...(await ensureNodeLeaves(layout, ca, node, identities, now)));
  const callerTokenExisted = existsSync(layout.callerTokenCurrent);
  const callerToken = ensureCallerTokenKey(layout);
  if (!callerTokenExisted) created.push(`caller-token/${callerToken.kid}.key`);
  if (ensureAuditKeys(layout).created) created.push('audit/chain.key', 'audit/checkpoint.key');
  return { created, signingCaId: ca.id, callerToken };
}

/**
 * A production node's folder (exportNodePki: trust bundle, its own certificates, the caller-token
 * keys; no CA key): nothing can be issued here, so everything the node needs must be present.
 */
function checkNodeFolder(
  layout: PkiLayout,
  nodes: readonly string[],
  identities: readonly string[],
): EnsureClusterPkiResult {
  for (const node of nodes) {
    for (const identity of identities) {
      const paths = layout.leaf(node, identity);
      const fix =
        `This folder holds no CA (a node's copy): issue it where the CA is, ` +
        `\`${PKI_COMMAND} issue --node ${node}\` then \`${PKI_COMMAND} export --node ${node} --to <this folder>\``;
      readPkiFile(paths.certificate, fix);
      readPkiFile(paths.privateKey, fix);
    }
  }
  const callerToken = currentCallerTokenKey(layout);
  currentAuditKeys(layout);
  return { created: [], signingCaId: '', callerToken };
}
