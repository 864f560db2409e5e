import { createHash, KeyObject, sign, verify } from 'node:crypto';

/**
 * What a signed manifest says about a file of events (an archive or a JSONL export): how many,
 * which chain numbers, and the SHA-256 of the file's bytes. Signed with the cluster's Ed25519
 * checkpoint key, so a verifier needs only `audit/checkpoint.pub` — no database, no chain key.
 */
export interface AuditFileManifest {
  /** 'archive': events moved out of the database; 'export': a copy of a filter's events. */
  kind: 'archive' | 'export';
  /** The described file's base name (events-2026-09-01.jsonl, …). */
  file: string;
  /** Events in the file. */
  count: number;
  /** The smallest and largest chain number in the file; null when it holds none with a number. */
  firstSequence: number | null;
  lastSequence: number | null;
  /** SHA-256 (hex) of the file's bytes (an export: every byte before its manifest line). */
  sha256: string;
  /** SHA-256 (hex) of the previous archive's signed manifest (manifestDigest); '' for none. */
  previousManifestSha256: string;
  /** When it was signed (ISO-8601, database time where the writer has it). */
  createdAt: string;
  /** Anything else the writer states (the export's filter, the archive's day, …); signed too. */
  [extra: string]: unknown;
}

/** A manifest with its Ed25519 signature (base64) over auditManifestStatement(…). */
export type SignedAuditManifest = AuditFileManifest & { signature: string };

/** JSON with object keys sorted at every depth: the same manifest always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The exact bytes signed. Its own prefix keeps a manifest signature from passing as a checkpoint
 * signature (or the reverse): both are made with the same key.
 */
export function auditManifestStatement(manifest: AuditFileManifest): string {
  const { signature: _ignored, ...stated } = manifest as SignedAuditManifest;
  return `flotilla-audit-manifest-v1\n${canonicalJson(stated)}`;
}

export function signAuditManifest(privateKey: KeyObject, manifest: AuditFileManifest): SignedAuditManifest {
  const signature = sign(null, Buffer.from(auditManifestStatement(manifest)), privateKey).toString('base64');
  return { ...manifest, signature };
}

/** Whether the signature is the checkpoint key's over this very manifest (any field changed: false). */
export function auditManifestSignatureValid(publicKey: KeyObject, manifest: SignedAuditManifest): boolean {
  if (typeof manifest.signature !== 'string' || manifest.signature === '') return false;
  return verify(
    null,
    Buffer.from(auditManifestStatement(manifest)),
    publicKey,
    Buffer.from(manifest.signature, 'base64'),
  );
}

/** What the next archive's manifest names as previousManifestSha256: the signed manifest's digest. */
export function auditManifestDigest(manifest: SignedAuditManifest): string {
  return createHash('sha256').update(canonicalJson(manifest)).digest('hex');
}
