import { hkdfSync } from 'node:crypto';

import { MasterKeyring, parseMasterKey } from '@flotilla/platform/secrets';

/**
 * Seals webhook secrets so the database never holds them in clear. The audit service does not hold
 * the cluster's secrets master key (FLOTILLA_MASTER_KEY goes to the orchestrator alone:
 * masterKeyOnlyForOrchestrator), so the sealing key is derived (HKDF-SHA256, its own label) from
 * the audit chain key, which every audit service reads from the PKI folder and which is never in
 * the database. The envelope is the secrets library's (AES-256-GCM, enc:v1:…), bound to the
 * destination's id so a sealed value copied onto another row does not open.
 */
export class StreamSecrets {
  private readonly keyring: MasterKeyring;

  constructor(chainKey: Buffer) {
    const derived = Buffer.from(
      hkdfSync('sha256', chainKey, Buffer.alloc(0), 'flotilla audit stream secrets v1', 32),
    );
    this.keyring = MasterKeyring.of(
      parseMasterKey(derived.toString('base64'), 'the audit stream sealing key'),
    );
  }

  seal(streamId: string, secret: string): string {
    return this.keyring.seal(secret, associatedData(streamId));
  }

  open(streamId: string, sealed: string): string {
    return this.keyring.open(sealed, associatedData(streamId));
  }
}

const associatedData = (streamId: string) => `audit_streams.secret_sealed:${streamId}`;
