import { generateKeyPairSync, randomBytes } from 'node:crypto';

import type { AuditTrailKeys } from './audit-trail-keys';

/** Fresh keys for one spec's trail (the cluster's live in the PKI folder). */
export function testAuditTrailKeys(): AuditTrailKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { chainKey: randomBytes(32), checkpoint: { privateKey, publicKey } };
}
