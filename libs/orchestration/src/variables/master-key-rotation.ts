import type { DataSource } from 'typeorm';

import {
  generateMasterKey,
  loadMasterKeyring,
  MASTER_KEY_FILE_ENV,
  MasterKeyring,
  readMasterKeyFile,
  writeMasterKeyFile,
} from '@flotilla/platform/secrets';

import { verifyMasterKey, writeMasterKeyCheck } from './master-key-check';
import { resealSensitiveValues } from './sensitive-value-resealing';

export interface MasterKeyRotation {
  /** Sensitive values sealed again under the new key. */
  resealed: number;
  newKeyId: string;
  /** The keys the file held before and no longer holds. */
  retiredKeyIds: string[];
  /** A rotation an earlier run left half done was finished (its new key kept), not a new one started. */
  resumed: boolean;
}

export interface MasterKeyRotationOptions {
  /**
   * How long after the first pass to look again for values sealed under the old key: running
   * orchestrators re-read the key file at most every 500 ms before sealing, so a value saved in
   * that moment may still be under the old key.
   */
  settleMs?: number;
  log?: (line: string) => void;
}

/**
 * Rotates the master key held in `keyFile`, online. Crash-safe at every step:
 * 1. the new key is written to the file first, in front of the old one (both open values; running
 *    orchestrators notice and seal new values under the new key), so no value is ever sealed
 *    under a key that is not on disk;
 * 2. the database's check row moves to the new key;
 * 3. every value not yet under the new key is sealed again (rows compare-and-set; repeat passes);
 * 4. only then the file is replaced by one holding the new key alone.
 * A run that finds the file still holding two keys finishes that rotation (envelopes name their
 * key, so it re-seals only what is left) instead of starting another.
 */
/**
 * Step 1 alone, for orchestrators on several machines: puts a new key in front of the old one in
 * `keyFile` (or keeps the one an earlier call put there). Copy that file to every node, then run
 * rotateMasterKey, which finishes this rotation, and copy the final file again.
 */
export function prepareMasterKeyRotation(keyFile: string): { newKeyId: string; created: boolean } {
  const keys = readMasterKeyFile(keyFile);
  if (keys.length > 1) return { newKeyId: keys[0]?.id ?? '', created: false };
  const next = generateMasterKey();
  writeMasterKeyFile(keyFile, [next, ...keys]);
  return { newKeyId: next.id, created: true };
}

export async function rotateMasterKey(
  dataSource: DataSource,
  keyFile: string,
  options: MasterKeyRotationOptions = {},
): Promise<MasterKeyRotation> {
  const log = options.log ?? (() => undefined);
  const before = readMasterKeyFile(keyFile);
  const resumed = before.length > 1;
  const runner = dataSource.createQueryRunner();
  let resealed = 0;
  try {
    // The file must hold the database's key before anything changes (a wrong file changes nothing).
    await verifyMasterKey(runner, loadMasterKeyring({ [MASTER_KEY_FILE_ENV]: keyFile }));
    const { newKeyId } = prepareMasterKeyRotation(keyFile);
    log(
      resumed
        ? `Finishing an earlier rotation: ${keyFile} already holds the new key ${newKeyId} in front of the old one`
        : `New master key ${newKeyId} written to ${keyFile} in front of ${before[0]?.id} (both accepted until the end)`,
    );
    const keyring: MasterKeyring = loadMasterKeyring({ [MASTER_KEY_FILE_ENV]: keyFile });
    const newKey = keyring.sealingKey;
    await writeMasterKeyCheck(runner, keyring, 'update');
    resealed += (await resealSensitiveValues(runner, keyring)).values;
    await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 2_000));
    resealed += (await resealSensitiveValues(runner, keyring)).values;
    // Every value is under the new key now: only then does the old key leave the file.
    writeMasterKeyFile(keyFile, [newKey]);
    return {
      resealed,
      newKeyId: newKey.id,
      retiredKeyIds: (resumed ? before.slice(1) : before).map((key) => key.id),
      resumed,
    };
  } finally {
    await runner.release();
  }
}
