import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

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
 * The Ed25519 key pair the gateway signs caller tokens with (every service verifies them with the
 * public half). Kept beside the certificates: same folder, same 0600/0700 rules. `current` names
 * the kid that signs; older kids stay so tokens signed just before a rotation still verify.
 */
export interface CallerTokenKeyFiles {
  kid: string;
  privateKeyFile: string;
  publicKeyFile: string;
}

function newKid(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `ct-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Writes a new key pair and makes it the signing one. */
export function rotateCallerTokenKey(layout: PkiLayout): CallerTokenKeyFiles {
  ensurePrivateFolder(layout.callerTokenFolder);
  const kid = newKid();
  const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { format: 'pem', type: 'pkcs8' },
    publicKeyEncoding: { format: 'pem', type: 'spki' },
  });
  writeFileAtomically(layout.callerTokenPublicKey(kid), publicKey, PUBLIC_MODE);
  writeFileAtomically(layout.callerTokenKey(kid), privateKey, KEY_MODE);
  // Last: a reader that sees the new kid finds both of its files.
  writeFileAtomically(layout.callerTokenCurrent, `${kid}\n`, PUBLIC_MODE);
  return { kid, privateKeyFile: layout.callerTokenKey(kid), publicKeyFile: layout.callerTokenPublicKey(kid) };
}

/** The signing key's files; throws naming the file and the fix when one is missing or unreadable. */
export function currentCallerTokenKey(layout: PkiLayout): CallerTokenKeyFiles {
  const fix = `Restore it from a backup, or make a new signing key with \`${PKI_COMMAND} rotate-caller-token --dir ${layout.root}\``;
  const kid = readPkiFile(layout.callerTokenCurrent, fix).trim();
  const files = {
    kid,
    privateKeyFile: layout.callerTokenKey(kid),
    publicKeyFile: layout.callerTokenPublicKey(kid),
  };
  readPkiFile(files.privateKeyFile, fix);
  readPkiFile(files.publicKeyFile, fix);
  return files;
}

/** First start makes the key pair; later starts check it is still there and readable. */
export function ensureCallerTokenKey(layout: PkiLayout): CallerTokenKeyFiles {
  if (!existsSync(layout.callerTokenCurrent)) return rotateCallerTokenKey(layout);
  return currentCallerTokenKey(layout);
}
