import { generateKeyPairSync } from 'node:crypto';

import {
  AuditFileManifest,
  auditManifestDigest,
  auditManifestSignatureValid,
  canonicalJson,
  signAuditManifest,
  SignedAuditManifest,
} from './audit-manifest';
import { signCheckpoint } from './audit-checkpoint';

const keys = generateKeyPairSync('ed25519');
const manifest: AuditFileManifest = {
  kind: 'archive',
  file: 'events-2026-09-01.jsonl',
  count: 3,
  firstSequence: 10,
  lastSequence: 12,
  sha256: 'a'.repeat(64),
  previousManifestSha256: '',
  createdAt: '2026-12-01T00:00:00.000Z',
  day: '2026-09-01',
};

describe('signed audit manifests', () => {
  it('verifies with the public key, whatever order its fields come back in', () => {
    const signed = signAuditManifest(keys.privateKey, manifest);
    const reordered = JSON.parse(
      JSON.stringify(Object.fromEntries(Object.entries(signed).reverse())),
    ) as SignedAuditManifest;
    expect(auditManifestSignatureValid(keys.publicKey, reordered)).toBe(true);
  });

  it.each([
    ['count', 4],
    ['lastSequence', 13],
    ['sha256', 'b'.repeat(64)],
    ['previousManifestSha256', 'c'.repeat(64)],
    ['day', '2026-09-02'],
    ['added', 'x'],
  ])('fails when %s is changed after signing', (field, value) => {
    const signed = { ...signAuditManifest(keys.privateKey, manifest), [field]: value };
    expect(auditManifestSignatureValid(keys.publicKey, signed)).toBe(false);
  });

  it("fails with another key, without a signature, and with a checkpoint's signature", () => {
    const other = generateKeyPairSync('ed25519');
    const signed = signAuditManifest(keys.privateKey, manifest);
    expect(auditManifestSignatureValid(other.publicKey, signed)).toBe(false);
    expect(auditManifestSignatureValid(keys.publicKey, { ...signed, signature: '' })).toBe(false);
    const checkpointSignature = signCheckpoint(keys.privateKey, {
      sequence: 12,
      chainHash: 'd'.repeat(64),
      signedAt: new Date(manifest.createdAt),
    });
    expect(auditManifestSignatureValid(keys.publicKey, { ...signed, signature: checkpointSignature })).toBe(
      false,
    );
  });

  it('digests the signed manifest, so the next archive can name it', () => {
    const signed = signAuditManifest(keys.privateKey, manifest);
    expect(auditManifestDigest(signed)).toMatch(/^[0-9a-f]{64}$/);
    expect(auditManifestDigest({ ...signed, count: 4 })).not.toBe(auditManifestDigest(signed));
  });

  it('writes canonical JSON with keys sorted at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });
});
