import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { CALLER_TOKEN_FOLDER } from '../caller-token-keys';

/** Writes an Ed25519 caller-token key pair into `<pkiDir>/caller-token/`; `current` names it if asked. */
export function writeTestCallerTokenKey(pkiDir: string, kid: string, makeCurrent = true): void {
  const folder = join(pkiDir, CALLER_TOKEN_FOLDER);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { format: 'pem', type: 'pkcs8' },
    publicKeyEncoding: { format: 'pem', type: 'spki' },
  });
  writeFileSync(join(folder, `${kid}.key`), privateKey, { mode: 0o600 });
  writeFileSync(join(folder, `${kid}.pub`), publicKey);
  if (makeCurrent) writeFileSync(join(folder, 'current'), `${kid}\n`);
}
