import { createHash, createPublicKey, KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

// The manifest's own signature check (what the offline verifier runs), not a copy of it.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { auditManifestSignatureValid, type SignedAuditManifest } from '@flotilla/audit/trail';
import { PkiLayout } from '@flotilla/platform/pki';
import type { FlotillaNode } from '@flotilla/testing';

// The /proc readings the export benchmark prints too.
// eslint-disable-next-line @nx/enforce-module-boundaries
export {
  cpuMilliseconds,
  residentBytes,
  sampleResidentPeak,
  serviceProcessId,
} from '../../bench/src/audit-export-processes';

/** The node's checkpoint public key: all an offline check of a JSONL export needs. */
export async function checkpointPublicKey(node: FlotillaNode): Promise<KeyObject> {
  // The test run's PKI (every node of it shares one), else the launcher's default beside `shared/`.
  const layout = new PkiLayout(process.env['FLOTILLA_PKI_DIR'] ?? join(dirname(node.sharedStorage), 'pki'));
  return createPublicKey(await readFile(layout.auditCheckpointPublicKey, 'utf8'));
}

/** What an offline check of a JSONL export finds: a reason it fails, or the manifest it holds. */
export function checkJsonlExport(
  file: Buffer,
  publicKey: KeyObject,
): { ok: true; manifest: SignedAuditManifest; lines: string[] } | { ok: false; why: string } {
  const text = file.toString('utf8');
  if (!text.endsWith('\n')) return { ok: false, why: 'the file does not end with a line' };
  const lastStart = text.lastIndexOf('\n', text.length - 2) + 1;
  let manifest: SignedAuditManifest;
  try {
    manifest = (JSON.parse(text.slice(lastStart)) as { manifest: SignedAuditManifest }).manifest;
  } catch {
    return { ok: false, why: 'the last line is not a manifest' };
  }
  if (!manifest || !auditManifestSignatureValid(publicKey, manifest))
    return { ok: false, why: 'bad signature' };
  const body = file.subarray(0, Buffer.byteLength(text.slice(0, lastStart), 'utf8'));
  if (createHash('sha256').update(body).digest('hex') !== manifest.sha256)
    return { ok: false, why: 'SHA-256' };
  const lines = body.length === 0 ? [] : body.toString('utf8').slice(0, -1).split('\n');
  if (lines.length !== manifest.count) return { ok: false, why: 'count' };
  return { ok: true, manifest, lines };
}
