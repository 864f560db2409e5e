import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

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
 * The audit trail's keys (issue 11), kept beside the certificates with the same 0600/0700 rules:
 * - `audit/chain.key`: 32 random bytes (base64) keying the HMAC that chains every event to the
 *   one before it, so a row edited, inserted or removed in the database breaks the chain. Secret:
 *   whoever holds it can forge links.
 * - `audit/checkpoint.key|.pub`: the Ed25519 pair that signs checkpoints and archive manifests; the
 *   public half is all an offline verifier needs.
 * One set per cluster: made where the CA is and copied to every node (exportNodePki), never made
 * on a node, or two nodes would chain with different keys.
 */
export interface AuditKeyFiles {
  chainKeyFile: string;
  checkpointPrivateKeyFile: string;
  checkpointPublicKeyFile: string;
}

function allFiles(files: AuditKeyFiles): string[] {
  return [files.chainKeyFile, files.checkpointPrivateKeyFile, files.checkpointPublicKeyFile];
}

export function auditKeyFiles(layout: PkiLayout): AuditKeyFiles {
  return {
    chainKeyFile: layout.auditChainKey,
    checkpointPrivateKeyFile: layout.auditCheckpointKey,
    checkpointPublicKeyFile: layout.auditCheckpointPublicKey,
  };
}

/** The files, each checked readable; throws naming the file and the fix. */
export function currentAuditKeys(layout: PkiLayout): AuditKeyFiles {
  const fix =
    `Restore the audit folder from a backup of the cluster's PKI folder (a new key would break the ` +
    `trail's chain), or on a node copy it again with \`${PKI_COMMAND} export\``;
  const files = auditKeyFiles(layout);
  for (const file of allFiles(files)) readPkiFile(file, fix);
  return files;
}

/**
 * First start makes the keys; later starts check they are still there. A folder with some but not
 * all of them is not repaired: a half-restored backup must not get a fresh chain key silently.
 */
export function ensureAuditKeys(layout: PkiLayout): { files: AuditKeyFiles; created: boolean } {
  const files = auditKeyFiles(layout);
  if (allFiles(files).some((file) => existsSync(file)))
    return { files: currentAuditKeys(layout), created: false };
  ensurePrivateFolder(layout.auditFolder);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { format: 'pem', type: 'pkcs8' },
    publicKeyEncoding: { format: 'pem', type: 'spki' },
  });
  writeFileAtomically(files.checkpointPublicKeyFile, publicKey, PUBLIC_MODE);
  writeFileAtomically(files.checkpointPrivateKeyFile, privateKey, KEY_MODE);
  writeFileAtomically(files.chainKeyFile, `${randomBytes(32).toString('base64')}\n`, KEY_MODE);
  return { files, created: true };
}

/** Copies the audit folder to a node's PKI folder (exportNodePki); returns the files written. */
export function copyAuditKeys(from: PkiLayout, to: PkiLayout, fix: string): string[] {
  if (!existsSync(from.auditFolder)) throw new Error(`${from.auditFolder} does not exist. ${fix}`);
  ensurePrivateFolder(to.auditFolder);
  const copied: string[] = [];
  for (const name of readdirSync(from.auditFolder).filter((entry) => !entry.startsWith('.'))) {
    const destination = join(to.auditFolder, name);
    const mode = name.endsWith('.pub') ? PUBLIC_MODE : KEY_MODE;
    writeFileAtomically(destination, readPkiFile(join(from.auditFolder, name), fix), mode);
    copied.push(destination);
  }
  return copied;
}
