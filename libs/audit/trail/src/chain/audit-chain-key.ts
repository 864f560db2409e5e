import { readFileSync } from 'node:fs';

import { PkiLayout } from '@flotilla/platform/pki';

/** The Nest token of the chain key (a 32-byte Buffer). */
export const AUDIT_CHAIN_KEY = Symbol('AUDIT_CHAIN_KEY');

/**
 * The cluster's audit chain key from the PKI folder (FLOTILLA_PKI_DIR/audit/chain.key, made with
 * the certificates). Without it the audit service does not start: events it stored unchained could
 * not be told from events inserted behind its back.
 */
export function loadAuditChainKey(env: Readonly<Record<string, string | undefined>> = process.env): Buffer {
  const pkiDir = env['FLOTILLA_PKI_DIR'];
  if (!pkiDir) throw new Error('FLOTILLA_PKI_DIR is not set: the audit service reads its chain key there');
  const file = new PkiLayout(pkiDir).auditChainKey;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(
      `${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}. The audit trail's chain key is ` +
        `made with the cluster's certificates (npm start, npm run cluster, npm run pki -- init) and ` +
        `copied to a node with \`npm run pki -- export\`; restore it from a backup of the PKI folder`,
    );
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file} does not hold 32 bytes of base64 (the audit chain key)`);
  return key;
}
