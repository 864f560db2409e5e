import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beginCaRotation, exportNodePki, finishCaRotation, pkiStatus, reissueLeaves } from './ca-rotation';
import { caIds, ensureClusterPki } from './cluster-pki';
import { PkiLayout } from './pki-layout';

function leafOf(layout: PkiLayout, node: string, identity: string): X509Certificate {
  return new X509Certificate(readFileSync(layout.leaf(node, identity).certificate));
}

function caOf(layout: PkiLayout, id: string): X509Certificate {
  return new X509Certificate(readFileSync(layout.caCertificate(id)));
}

function mode(file: string): number {
  return statSync(file).mode & 0o777;
}

describe('ensureClusterPki', () => {
  let dir: string;
  let layout: PkiLayout;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-pki-'));
    layout = new PkiLayout(join(dir, 'pki'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a CA, the trust bundle, a leaf per identity per node and the caller-token key, private files 0600 in 0700 folders', async () => {
    const result = await ensureClusterPki(layout.root, ['n1', 'n2'], ['auth', 'gateway']);

    const [caId] = caIds(layout);
    expect(caId).toBeDefined();
    expect(result.signingCaId).toBe(caId);
    for (const folder of [
      layout.root,
      layout.caFolder,
      layout.servicesFolder,
      layout.nodeFolder('n1'),
      layout.callerTokenFolder,
    ])
      expect(mode(folder)).toBe(0o700);
    expect(mode(layout.caKey(caId))).toBe(0o600);
    expect(mode(layout.leaf('n2', 'gateway').privateKey)).toBe(0o600);
    expect(mode(result.callerToken.privateKeyFile)).toBe(0o600);
    expect(readFileSync(layout.callerTokenCurrent, 'utf8').trim()).toBe(result.callerToken.kid);
    expect(createPrivateKey(readFileSync(result.callerToken.privateKeyFile)).asymmetricKeyType).toBe(
      'ed25519',
    );
    expect(createPublicKey(readFileSync(result.callerToken.publicKeyFile)).asymmetricKeyType).toBe('ed25519');
    expect(result.created).toEqual(
      expect.arrayContaining(['trust-bundle.pem', 'services/n1/auth.crt', 'services/n2/gateway.crt']),
    );
  });

  it("makes the audit trail's chain key and checkpoint pair once, 0600, and keeps them on later starts", async () => {
    const first = await ensureClusterPki(layout.root, ['n1'], ['audit']);
    expect(first.created).toEqual(expect.arrayContaining(['audit/chain.key', 'audit/checkpoint.key']));
    expect(mode(layout.auditFolder)).toBe(0o700);
    expect(mode(layout.auditChainKey)).toBe(0o600);
    expect(mode(layout.auditCheckpointKey)).toBe(0o600);
    expect(Buffer.from(readFileSync(layout.auditChainKey, 'utf8').trim(), 'base64')).toHaveLength(32);
    expect(createPrivateKey(readFileSync(layout.auditCheckpointKey)).asymmetricKeyType).toBe('ed25519');
    const chainKey = readFileSync(layout.auditChainKey, 'utf8');

    const later = await ensureClusterPki(layout.root, ['n1'], ['audit']);
    expect(later.created).not.toContain('audit/chain.key');
    expect(readFileSync(layout.auditChainKey, 'utf8')).toBe(chainKey);

    // Half a restored folder is not repaired with a new chain key: that would break the chain.
    rmSync(layout.auditChainKey);
    await expect(ensureClusterPki(layout.root, ['n1'], ['audit'])).rejects.toThrow(
      `${layout.auditChainKey}: missing. Restore the audit folder from a backup`,
    );
  });

  it('issues leaves naming identity and node (one SPIFFE URI, one DNS name), for server and client use, signed by the CA', async () => {
    await ensureClusterPki(layout.root, ['node-7'], ['orchestrator']);
    const leaf = leafOf(layout, 'node-7', 'orchestrator');
    const ca = caOf(layout, caIds(layout)[0]);

    expect(leaf.subjectAltName).toBe(
      'DNS:orchestrator.flotilla.internal, URI:spiffe://flotilla.internal/orchestrator/node-7',
    );
    expect(leaf.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(leaf.ca).toBe(false);
    expect(leaf.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(
      leaf.checkPrivateKey(createPrivateKey(readFileSync(layout.leaf('node-7', 'orchestrator').privateKey))),
    ).toBe(true);
    expect(ca.ca).toBe(true);
    // The .crt holds the chain: leaf, then its CA.
    expect(
      readFileSync(layout.leaf('node-7', 'orchestrator').certificate, 'utf8').match(/BEGIN CERTIFICATE/g),
    ).toHaveLength(2);
  });

  it('reuses everything on a later start and adds only a new node', async () => {
    await ensureClusterPki(layout.root, ['n1'], ['auth']);
    const before = readFileSync(layout.leaf('n1', 'auth').certificate, 'utf8');

    const again = await ensureClusterPki(layout.root, ['n1'], ['auth']);
    const withNode = await ensureClusterPki(layout.root, ['n1', 'n2'], ['auth']);

    expect(again.created).toEqual([]);
    expect(withNode.created).toEqual(['services/n2/auth.crt']);
    expect(readFileSync(layout.leaf('n1', 'auth').certificate, 'utf8')).toBe(before);
    expect(caIds(layout)).toHaveLength(1);
  });

  it('two processes making the same new node at once end with one matching certificate and key', async () => {
    await ensureClusterPki(layout.root, [], ['auth']);
    await Promise.all([
      ensureClusterPki(layout.root, ['shared'], ['auth', 'audit']),
      ensureClusterPki(layout.root, ['shared'], ['auth', 'audit']),
    ]);
    for (const identity of ['auth', 'audit']) {
      const paths = layout.leaf('shared', identity);
      expect(
        leafOf(layout, 'shared', identity).checkPrivateKey(createPrivateKey(readFileSync(paths.privateKey))),
      ).toBe(true);
    }
  });

  it('refuses to start when the CA key is missing, naming the file and the command that fixes it', async () => {
    await ensureClusterPki(layout.root, ['n1'], ['auth']);
    const caKey = layout.caKey(caIds(layout)[0]);
    unlinkSync(caKey);

    await expect(ensureClusterPki(layout.root, ['n1'], ['auth'])).rejects.toThrow(
      `${caKey}: missing. The CA key signs new certificates: restore it from a backup, or replace the CA with \`npm run pki -- rotate-ca --dir ${layout.root}\``,
    );
  });

  it('refuses a leaf whose key is gone or unreadable, naming the file and the issue command', async () => {
    await ensureClusterPki(layout.root, ['n1'], ['auth', 'audit']);
    unlinkSync(layout.leaf('n1', 'auth').privateKey);
    await expect(ensureClusterPki(layout.root, ['n1'], ['auth'])).rejects.toThrow(
      `${layout.leaf('n1', 'auth').privateKey}: missing. Issue a new certificate and key with \`npm run pki -- issue --dir ${layout.root} --node n1 --identity auth\``,
    );

    if (process.getuid?.() === 0) return; // root reads a 0000 file anyway
    chmodSync(layout.leaf('n1', 'audit').privateKey, 0o000);
    await expect(ensureClusterPki(layout.root, ['n1'], ['audit'])).rejects.toThrow(
      `${layout.leaf('n1', 'audit').privateKey}: not readable by this user.`,
    );
  });

  it('rotates the CA in phases: both trusted while leaves are reissued, then the old one dropped', async () => {
    await ensureClusterPki(layout.root, ['n1', 'n2'], ['auth', 'gateway']);
    const [oldId] = caIds(layout);

    const begun = await beginCaRotation(layout.root);
    expect(begun.trusted).toEqual([oldId, begun.newCaId]);
    expect(readFileSync(layout.trustBundle, 'utf8').match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    // Leaves still from the old CA: finishing now would lock them out.
    await expect(finishCaRotation(layout.root)).rejects.toThrow(
      /still signed by an older CA: n1\/auth, n1\/gateway, n2\/auth, n2\/gateway/,
    );

    const reissued = await reissueLeaves(layout.root);
    expect(reissued).toHaveLength(4);
    const newCa = caOf(layout, begun.newCaId);
    expect(leafOf(layout, 'n2', 'gateway').checkIssued(newCa)).toBe(true);
    expect(
      pkiStatus(layout.root).cas.map((ca) => ({ id: ca.id, trusted: ca.trusted, signing: ca.signing })),
    ).toEqual([
      { id: oldId, trusted: true, signing: false },
      { id: begun.newCaId, trusted: true, signing: true },
    ]);

    const finished = await finishCaRotation(layout.root);
    expect(finished.removed).toEqual([oldId]);
    expect(caIds(layout)).toEqual([begun.newCaId]);
    expect(new X509Certificate(readFileSync(layout.trustBundle)).checkIssued(newCa)).toBe(true);
    expect(readFileSync(layout.trustBundle, 'utf8').match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
    expect(pkiStatus(layout.root).leaves.every((leaf) => leaf.signedBySigningCa)).toBe(true);
  });

  it("exports a node's folder without any CA key, which later starts use as it is and never replace with a new CA", async () => {
    await ensureClusterPki(layout.root, ['n1', 'n2'], ['auth']);
    const nodeFolder = join(dir, 'node-n2');

    exportNodePki(layout.root, 'n2', nodeFolder);
    const onNode = new PkiLayout(nodeFolder);

    expect(caIds(onNode)).toEqual([]);
    expect(mode(onNode.leaf('n2', 'auth').privateKey)).toBe(0o600);
    expect(readFileSync(onNode.trustBundle, 'utf8')).toBe(readFileSync(layout.trustBundle, 'utf8'));
    // One chain key for the whole cluster: the node gets the CA folder's, never one of its own.
    expect(readFileSync(onNode.auditChainKey, 'utf8')).toBe(readFileSync(layout.auditChainKey, 'utf8'));
    expect(mode(onNode.auditChainKey)).toBe(0o600);
    await expect(ensureClusterPki(nodeFolder, ['n2'], ['auth'])).resolves.toMatchObject({ created: [] });
    expect(caIds(onNode)).toEqual([]);
    await expect(ensureClusterPki(nodeFolder, ['n3'], ['auth'])).rejects.toThrow(
      `${onNode.leaf('n3', 'auth').certificate}: missing. This folder holds no CA (a node's copy): issue it where the CA is`,
    );
  });
});
