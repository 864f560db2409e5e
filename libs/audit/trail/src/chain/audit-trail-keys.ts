import { PkiLayout, readPkiFile } from '@flotilla/platform/pki';

import { AuditCheckpointKeys, checkpointKeysFromPem } from './audit-checkpoint';

/** The audit trail's keys, from the cluster's PKI folder (audit/, made with the certificates). */
export interface AuditTrailKeys {
  /** 32 bytes keying the chain's HMAC links. */
  chainKey: Buffer;
  /** The Ed25519 pair signing checkpoints. */
  checkpoint: AuditCheckpointKeys;
}

/** The Nest token of the AuditTrailKeys. */
export const AUDIT_TRAIL_KEYS = Symbol('AUDIT_TRAIL_KEYS');
/** The Nest token of the chain key alone (a 32-byte Buffer), for the repository. */
export const AUDIT_CHAIN_KEY = Symbol('AUDIT_CHAIN_KEY');

/** What to do when a key file is missing or unreadable, named in the error (readPkiFile). */
const FIX =
  "The audit trail's keys are made with the cluster's certificates (npm start, npm run cluster, " +
  'npm run pki -- init) and copied to a node with `npm run pki -- export`; restore them from a ' +
  "backup of the PKI folder (a new chain key would break the trail's chain)";

const readKeyFile = (file: string): string => readPkiFile(file, FIX);

/**
 * Reads the keys from FLOTILLA_PKI_DIR. Without them the audit service does not start: events it
 * stored unchained could not be told from events inserted behind its back.
 */
export function loadAuditTrailKeys(
  env: Readonly<Record<string, string | undefined>> = process.env,
): AuditTrailKeys {
  const pkiDir = env['FLOTILLA_PKI_DIR'];
  if (!pkiDir) throw new Error('FLOTILLA_PKI_DIR is not set: the audit service reads its keys there');
  const layout = new PkiLayout(pkiDir);
  const chainKey = Buffer.from(readKeyFile(layout.auditChainKey).trim(), 'base64');
  if (chainKey.length !== 32)
    throw new Error(`${layout.auditChainKey} does not hold 32 bytes of base64 (the audit chain key)`);
  return {
    chainKey,
    checkpoint: checkpointKeysFromPem(
      readKeyFile(layout.auditCheckpointKey),
      readKeyFile(layout.auditCheckpointPublicKey),
    ),
  };
}
