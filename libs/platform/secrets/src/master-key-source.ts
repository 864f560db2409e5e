import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

import { formatMasterKey, generateMasterKey, MasterKey, parseMasterKey } from './master-key';
import { MasterKeyError } from './master-key-error';
import { MasterKeyring, MasterKeySource } from './master-keyring';

export const MASTER_KEY_ENV = 'FLOTILLA_MASTER_KEY';
export const MASTER_KEY_FILE_ENV = 'FLOTILLA_MASTER_KEY_FILE';

const WHAT_TO_DO =
  `set ${MASTER_KEY_ENV} (base64 of 32 bytes: openssl rand -base64 32) or ${MASTER_KEY_FILE_ENV} ` +
  '(a file holding it, mode 0600); npm start makes <data folder>/master.key at first start. ' +
  'Sensitive variables are encrypted under this key: keep it, and back it up apart from the database';

/** Keys in a text: one base64 key per line (or comma-separated), the sealing key first; # starts a comment. */
function parseKeyList(text: string, source: string): MasterKey[] {
  return text
    .split(/[\n,]/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean)
    .map((line, index) => parseMasterKey(line, `${source} (key ${index + 1})`));
}

function environmentSource(value: string): MasterKeySource {
  const keys = parseKeyList(value, MASTER_KEY_ENV);
  return { description: MASTER_KEY_ENV, read: () => keys, changed: () => false };
}

function readKeyFile(path: string, description: string): MasterKey[] {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    throw new MasterKeyError(`${description}: the file does not exist; ${WHAT_TO_DO}`);
  }
  if ((mode & 0o077) !== 0) {
    throw new MasterKeyError(
      `${description}: the key file is readable by others (mode ${(mode & 0o777).toString(8)}); chmod 600 ${path}`,
    );
  }
  return parseKeyList(readFileSync(path, 'utf8'), description);
}

function fileSource(path: string): MasterKeySource {
  const description = `${MASTER_KEY_FILE_ENV}=${path}`;
  let seen = '';
  const stamp = () => {
    try {
      const stat = statSync(path);
      return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    } catch {
      return 'gone';
    }
  };
  return {
    description,
    read: () => {
      seen = stamp();
      return readKeyFile(path, description);
    },
    changed: () => stamp() !== seen,
  };
}

/**
 * The master keyring from FLOTILLA_MASTER_KEY or FLOTILLA_MASTER_KEY_FILE. Throws a MasterKeyError
 * naming what to do when neither is set or the key is malformed.
 */
export function loadMasterKeyring(env: NodeJS.ProcessEnv = process.env): MasterKeyring {
  const value = env[MASTER_KEY_ENV]?.trim();
  const file = env[MASTER_KEY_FILE_ENV]?.trim();
  if (value) return new MasterKeyring(environmentSource(value));
  if (file) return new MasterKeyring(fileSource(file));
  throw new MasterKeyError(`No master key: ${WHAT_TO_DO}.`);
}

/** Whether this environment names a master key at all (migrations with nothing to seal need none). */
export function hasMasterKeyConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env[MASTER_KEY_ENV]?.trim() || env[MASTER_KEY_FILE_ENV]?.trim());
}

/**
 * Replaces a key file in one step (write beside it, fsync, rename): a crash leaves the old file or
 * the new one, never half of one. Mode 0600 from creation.
 */
export function writeMasterKeyFile(path: string, keys: readonly MasterKey[]): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  const descriptor = openSync(temporary, 'w', 0o600);
  try {
    writeSync(descriptor, `${keys.map(formatMasterKey).join('\n')}\n`);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
  const folder = openSync(dirname(path), 'r');
  try {
    fsyncSync(folder);
  } finally {
    closeSync(folder);
  }
}

/** Reads the keys of a key file (the sealing key first). */
export function readMasterKeyFile(path: string): MasterKey[] {
  return readKeyFile(path, `${MASTER_KEY_FILE_ENV}=${path}`);
}

/**
 * The launcher's first start: makes a key file with a new random key unless one exists (0600, its
 * folder 0700). Returns whether it made one.
 */
export function ensureMasterKeyFile(path: string): { path: string; created: boolean } {
  if (existsSync(path)) return { path, created: false };
  writeMasterKeyFile(path, [generateMasterKey()]);
  return { path, created: true };
}

/**
 * A service's environment with the master key left out unless it is the orchestrator, the only
 * service that seals and opens values: an executor (and anything a script might reach through it)
 * has no key to find in its environment.
 */
export function masterKeyOnlyForOrchestrator(service: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (service === 'task-orchestrator') return env;
  const { [MASTER_KEY_ENV]: _key, [MASTER_KEY_FILE_ENV]: _file, ...rest } = env;
  return rest;
}
