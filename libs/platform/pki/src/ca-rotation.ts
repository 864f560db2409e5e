import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { copyAuditKeys } from './audit-keys';
import { x509 } from './x509';

import {
  addCertificateAuthority,
  caIds,
  signingCertificateAuthority,
  trustedCertificates,
  writeLeaf,
  writeTrustBundle,
} from './cluster-pki';
import {
  ensurePrivateFolder,
  KEY_MODE,
  PKI_COMMAND,
  PUBLIC_MODE,
  readPkiFile,
  writeFileAtomically,
} from './pki-files';
import { PkiLayout } from './pki-layout';

/**
 * CA rotation in three phases, each safe while the cluster runs because every process reloads
 * trust-bundle.pem and its own certificate from disk within its refresh interval:
 *   1. begin:   a new CA signs from now on; the bundle trusts old and new.
 *   2. reissue: every leaf is issued again by the new CA (peers trust both, so old and new leaves
 *               meet without a failed handshake).
 *   3. finish:  the bundle trusts the new CA alone; the old CA's files are deleted.
 * Between phases, wait at least one refresh interval so every process has read the last phase.
 */

export interface LeafFile {
  node: string;
  identity: string;
}

/** Every leaf in services/<node>/<identity>.crt. */
export function leafFiles(layout: PkiLayout): LeafFile[] {
  if (!existsSync(layout.servicesFolder)) return [];
  return readdirSync(layout.servicesFolder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .flatMap((entry) =>
      readdirSync(layout.nodeFolder(entry.name))
        .filter((name) => name.endsWith('.crt'))
        .map((name) => ({ node: entry.name, identity: name.slice(0, -'.crt'.length) })),
    )
    .sort((a, b) => `${a.node}/${a.identity}`.localeCompare(`${b.node}/${b.identity}`));
}

export async function beginCaRotation(dir: string): Promise<{ newCaId: string; trusted: string[] }> {
  const layout = new PkiLayout(dir);
  const ca = await addCertificateAuthority(layout);
  const trusted = caIds(layout);
  writeTrustBundle(layout, trusted);
  return { newCaId: ca.id, trusted };
}

/** Issues every leaf again with the signing CA (or only `only`'s). */
export async function reissueLeaves(dir: string, only?: (leaf: LeafFile) => boolean): Promise<LeafFile[]> {
  const layout = new PkiLayout(dir);
  const ca = await signingCertificateAuthority(layout);
  const leaves = leafFiles(layout).filter((leaf) => !only || only(leaf));
  for (const leaf of leaves) await writeLeaf(layout, ca, leaf.node, leaf.identity);
  return leaves;
}

function issuerOf(layout: PkiLayout, leaf: LeafFile): string {
  const file = layout.leaf(leaf.node, leaf.identity).certificate;
  return new x509.X509Certificate(readPkiFile(file, `Reissue it with \`${PKI_COMMAND} issue\``)).issuer;
}

/**
 * Trusts the signing CA alone and deletes the older ones. Refuses while any leaf is still signed
 * by an older CA: its holder would be refused by every peer.
 */
export async function finishCaRotation(dir: string): Promise<{ removed: string[]; trusted: string }> {
  const layout = new PkiLayout(dir);
  const ca = await signingCertificateAuthority(layout);
  const stale = leafFiles(layout).filter((leaf) => issuerOf(layout, leaf) !== ca.certificate.subject);
  if (stale.length > 0) {
    const names = stale.map((leaf) => `${leaf.node}/${leaf.identity}`).join(', ');
    throw new Error(
      `these certificates are still signed by an older CA: ${names}. ` +
        `Run \`${PKI_COMMAND} rotate-ca reissue --dir ${dir}\` first (and copy them to their nodes)`,
    );
  }
  writeTrustBundle(layout, [ca.id]);
  const removed = caIds(layout).filter((id) => id !== ca.id);
  for (const id of removed) {
    rmSync(layout.caKey(id), { force: true });
    rmSync(layout.caCertificate(id), { force: true });
  }
  return { removed, trusted: ca.id };
}

export interface PkiStatus {
  cas: { id: string; notAfter: Date; trusted: boolean; signing: boolean; keyPresent: boolean }[];
  leaves: (LeafFile & { issuerCaId: string | undefined; notAfter: Date; signedBySigningCa: boolean })[];
}

export function pkiStatus(dir: string): PkiStatus {
  const layout = new PkiLayout(dir);
  const ids = caIds(layout);
  const signingId = ids.at(-1);
  const trusted = existsSync(layout.trustBundle) ? trustedCertificates(layout) : [];
  const fix = `Run \`${PKI_COMMAND} init --dir ${dir}\``;
  const cas = ids.map((id) => {
    const certificate = new x509.X509Certificate(readPkiFile(layout.caCertificate(id), fix));
    return {
      id,
      subject: certificate.subject,
      notAfter: certificate.notAfter,
      trusted: trusted.some((candidate) => candidate.equal(certificate)),
      signing: id === signingId,
      keyPresent: existsSync(layout.caKey(id)),
    };
  });
  const leaves = leafFiles(layout).map((leaf) => {
    const file = layout.leaf(leaf.node, leaf.identity).certificate;
    const certificate = new x509.X509Certificate(readPkiFile(file, fix));
    const issuer = cas.find((ca) => ca.subject === certificate.issuer);
    return {
      ...leaf,
      issuerCaId: issuer?.id,
      notAfter: certificate.notAfter,
      signedBySigningCa: issuer?.id === signingId,
    };
  });
  return { cas: cas.map(({ subject: _subject, ...ca }) => ca), leaves };
}

/**
 * What one production node needs, copied from the CA's folder into `target` (that node's
 * FLOTILLA_PKI_DIR): the trust bundle, the node's certificates and keys, the caller-token keys,
 * the audit trail's keys. Never a CA key. Run again after every rotation phase and copy the result to the node.
 */
export function exportNodePki(dir: string, node: string, target: string): string[] {
  const from = new PkiLayout(dir);
  const to = new PkiLayout(target);
  const fix = `Run \`${PKI_COMMAND} issue --dir ${dir} --node ${node}\` first`;
  const copied: string[] = [];
  const copy = (source: string, destination: string, mode: number): void => {
    writeFileAtomically(destination, readPkiFile(source, fix), mode);
    copied.push(destination);
  };
  ensurePrivateFolder(to.root);
  copy(from.trustBundle, to.trustBundle, PUBLIC_MODE);
  ensurePrivateFolder(to.nodeFolder(node));
  const leaves = leafFiles(from).filter((leaf) => leaf.node === node);
  if (leaves.length === 0) throw new Error(`${from.nodeFolder(node)} holds no certificate. ${fix}`);
  for (const leaf of leaves) {
    const source = from.leaf(node, leaf.identity);
    const destination = to.leaf(node, leaf.identity);
    copy(source.privateKey, destination.privateKey, KEY_MODE);
    copy(source.certificate, destination.certificate, PUBLIC_MODE);
  }
  ensurePrivateFolder(to.callerTokenFolder);
  for (const name of readdirSync(from.callerTokenFolder).filter((entry) => !entry.startsWith('.'))) {
    copy(
      join(from.callerTokenFolder, name),
      join(to.callerTokenFolder, name),
      name.endsWith('.key') ? KEY_MODE : PUBLIC_MODE,
    );
  }
  copied.push(...copyAuditKeys(from, to, fix));
  return copied;
}
