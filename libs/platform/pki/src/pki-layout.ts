import { join } from 'node:path';

/**
 * Where everything lives in a PKI folder (FLOTILLA_PKI_DIR). Fixed layout, shared with the
 * caller-token code and the operator's command (`npm run pki`):
 *
 *   ca/<id>.crt, ca/<id>.key            every CA kept; the newest (highest id) signs
 *   trust-bundle.pem                    every CA certificate trusted now (two during a rollover)
 *   services/<node>/<identity>.crt|.key leaf (ECDSA P-256) followed by the CA that signed it
 *   caller-token/<kid>.key|.pub         Ed25519 PKCS8 / SPKI PEM; caller-token/current names the kid that signs
 *   audit/chain.key                     the audit trail's HMAC chain key (base64 of 32 bytes)
 *   audit/checkpoint.key|.pub           Ed25519 pair signing the trail's checkpoints
 */
export const CA_FOLDER = 'ca';
export const TRUST_BUNDLE_FILE = 'trust-bundle.pem';
export const SERVICES_FOLDER = 'services';
export const CALLER_TOKEN_FOLDER = 'caller-token';
export const CALLER_TOKEN_CURRENT_FILE = 'current';
export const AUDIT_FOLDER = 'audit';

/** Services of the product; each gets a certificate on every node. */
export const FLOTILLA_SERVICE_IDENTITIES = [
  'gateway',
  'auth',
  'audit',
  'orchestrator',
  'executor',
  'artifacts',
] as const;

/**
 * Tool identities: `operator` (cluster tool, pki command, HA harness), `haproxy` (its health checks
 * only). Issued beside the services so the tools of a node can reach it.
 */
export const TOOL_IDENTITIES = ['operator', 'haproxy'] as const;

export const DEFAULT_IDENTITIES: readonly string[] = [...FLOTILLA_SERVICE_IDENTITIES, ...TOOL_IDENTITIES];

/** Identities and node names become file names and SAN parts: keep them to safe characters. */
const IDENTITY_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
const NODE_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export function assertIdentityName(identity: string): void {
  if (!IDENTITY_PATTERN.test(identity)) {
    throw new Error(
      `'${identity}' is not a valid identity name (lower-case letters, digits, '-'; starts with a letter)`,
    );
  }
}

export function assertNodeName(node: string): void {
  if (!NODE_PATTERN.test(node) || node === '.' || node === '..') {
    throw new Error(`'${node}' is not a valid node name for a certificate (letters, digits, '.', '_', '-')`);
  }
}

export interface LeafPaths {
  certificate: string;
  privateKey: string;
}

export class PkiLayout {
  constructor(readonly root: string) {}

  get caFolder(): string {
    return join(this.root, CA_FOLDER);
  }

  get trustBundle(): string {
    return join(this.root, TRUST_BUNDLE_FILE);
  }

  get servicesFolder(): string {
    return join(this.root, SERVICES_FOLDER);
  }

  get callerTokenFolder(): string {
    return join(this.root, CALLER_TOKEN_FOLDER);
  }

  get callerTokenCurrent(): string {
    return join(this.callerTokenFolder, CALLER_TOKEN_CURRENT_FILE);
  }

  get auditFolder(): string {
    return join(this.root, AUDIT_FOLDER);
  }

  get auditChainKey(): string {
    return join(this.auditFolder, 'chain.key');
  }

  get auditCheckpointKey(): string {
    return join(this.auditFolder, 'checkpoint.key');
  }

  get auditCheckpointPublicKey(): string {
    return join(this.auditFolder, 'checkpoint.pub');
  }

  caCertificate(id: string): string {
    return join(this.caFolder, `${id}.crt`);
  }

  caKey(id: string): string {
    return join(this.caFolder, `${id}.key`);
  }

  nodeFolder(node: string): string {
    assertNodeName(node);
    return join(this.servicesFolder, node);
  }

  leaf(node: string, identity: string): LeafPaths {
    assertIdentityName(identity);
    const folder = this.nodeFolder(node);
    return { certificate: join(folder, `${identity}.crt`), privateKey: join(folder, `${identity}.key`) };
  }

  callerTokenKey(kid: string): string {
    return join(this.callerTokenFolder, `${kid}.key`);
  }

  callerTokenPublicKey(kid: string): string {
    return join(this.callerTokenFolder, `${kid}.pub`);
  }
}
