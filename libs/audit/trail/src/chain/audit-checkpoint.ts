import { createPrivateKey, createPublicKey, KeyObject, sign, verify } from 'node:crypto';

/** What a checkpoint says: the chain had `sequence` events, the last link `chainHash`, at `signedAt`. */
export interface AuditCheckpoint {
  id: string;
  sequence: number;
  chainHash: string;
  /** Database time when it was signed. */
  signedAt: Date;
  /** The node whose audit service signed it (for people; not signed). */
  nodeName: string;
  /** Ed25519 signature (base64) of checkpointStatement(…). */
  signature: string;
}

/**
 * The exact bytes signed. A fixed prefix keeps a checkpoint signature from being valid as anything
 * else the key might sign (archive manifests get their own prefix).
 */
export function checkpointStatement(
  checkpoint: Pick<AuditCheckpoint, 'sequence' | 'chainHash' | 'signedAt'>,
): string {
  return `flotilla-audit-checkpoint-v1\n${checkpoint.sequence}\n${checkpoint.chainHash}\n${checkpoint.signedAt.toISOString()}`;
}

export function signCheckpoint(
  privateKey: KeyObject,
  checkpoint: Pick<AuditCheckpoint, 'sequence' | 'chainHash' | 'signedAt'>,
): string {
  return sign(null, Buffer.from(checkpointStatement(checkpoint)), privateKey).toString('base64');
}

export function checkpointSignatureValid(publicKey: KeyObject, checkpoint: AuditCheckpoint): boolean {
  return verify(
    null,
    Buffer.from(checkpointStatement(checkpoint)),
    publicKey,
    Buffer.from(checkpoint.signature, 'base64'),
  );
}

/** The Ed25519 pair from its PEM files' text (audit/checkpoint.key|.pub in the PKI folder). */
export interface AuditCheckpointKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function checkpointKeysFromPem(privatePem: string, publicPem: string): AuditCheckpointKeys {
  return { privateKey: createPrivateKey(privatePem), publicKey: createPublicKey(publicPem) };
}
