import { copyFileSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ensureClusterPki, PkiLayout } from '@flotilla/platform/pki';

import { WatchedCertificateFiles } from './watched-certificate-files';

describe(WatchedCertificateFiles.name, () => {
  let dir: string;
  let layout: PkiLayout;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-watched-'));
    layout = new PkiLayout(join(dir, 'pki'));
    await ensureClusterPki(layout.root, ['n1', 'n2'], ['auth']);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const paths = () => ({ ...layout.leaf('n1', 'auth'), trustBundle: layout.trustBundle });
  const next = () => new Promise((resolve) => process.nextTick(resolve));

  it('fails at once naming a missing file and the command that issues it', () => {
    unlinkSync(layout.leaf('n1', 'auth').privateKey);
    expect(
      () => new WatchedCertificateFiles(paths(), 60_000, 'Issue it with `npm run pki -- issue`'),
    ).toThrow(`${layout.leaf('n1', 'auth').privateKey}: missing. Issue it with \`npm run pki -- issue\``);
  });

  it('publishes a replaced certificate and key, but never a pair that does not match (caught mid-rotation)', async () => {
    const sut = new WatchedCertificateFiles(paths(), 60_000, 'fix');
    const published: Buffer[] = [];
    sut.addIdentityCertificateListener((update) => void (update && published.push(update.certificate)));
    await next();
    expect(published).toHaveLength(1);

    // Half a rotation: the new key is in place, the certificate is still the old one.
    copyFileSync(layout.leaf('n2', 'auth').privateKey, layout.leaf('n1', 'auth').privateKey);
    expect(sut.refresh()).toBe(false);
    expect(published).toHaveLength(1);

    // The rotation completes: the matching certificate arrives, and is published.
    copyFileSync(layout.leaf('n2', 'auth').certificate, layout.leaf('n1', 'auth').certificate);
    expect(sut.refresh()).toBe(true);
    expect(published).toHaveLength(2);
    expect(String(published[1])).toContain('BEGIN CERTIFICATE');
    expect(sut.refresh()).toBe(false); // nothing changed since
  });
});
