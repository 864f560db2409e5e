import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { findBabelfishTarball } from './babelfish-server';
import { mssqlDatabaseUrl } from './test-database';

describe(findBabelfishTarball.name, () => {
  let root: string;
  const saved = process.env['FLOTILLA_BABELFISH_TARBALL'];

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'flotilla-bbf-find-'));
    delete process.env['FLOTILLA_BABELFISH_TARBALL'];
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    if (saved === undefined) delete process.env['FLOTILLA_BABELFISH_TARBALL'];
    else process.env['FLOTILLA_BABELFISH_TARBALL'] = saved;
  });

  function tarballIn(dir: string): string {
    mkdirSync(join(dir, 'shared', 'babelfish'), { recursive: true });
    const path = join(dir, 'shared', 'babelfish', 'babelfish-4.3.0-pg16.4-bookworm-x86_64.tar.gz');
    writeFileSync(path, '');
    return path;
  }

  it('finds shared/babelfish in a folder above the project, as the workplace keeps it', () => {
    const expected = tarballIn(root);
    const project = join(root, 'checkouts', 'main');
    mkdirSync(project, { recursive: true });
    expect(findBabelfishTarball(project)).toBe(expected);
  });

  it('takes FLOTILLA_BABELFISH_TARBALL first, and reports a missing one as absent', () => {
    tarballIn(root);
    const elsewhere = join(root, 'elsewhere.tar.gz');
    writeFileSync(elsewhere, '');
    process.env['FLOTILLA_BABELFISH_TARBALL'] = elsewhere;
    expect(findBabelfishTarball(root)).toBe(elsewhere);
    process.env['FLOTILLA_BABELFISH_TARBALL'] = join(root, 'gone.tar.gz');
    expect(findBabelfishTarball(root)).toBeUndefined();
  });

  it('answers undefined when no folder above has it', () => {
    expect(findBabelfishTarball(root)).toBeUndefined();
  });
});

describe(mssqlDatabaseUrl.name, () => {
  it('puts the database in the path and keeps the connection options', () => {
    expect(
      mssqlDatabaseUrl('mssql://u:p%40ss@127.0.0.1:1433?encrypt=false&trustServerCertificate=true', 'db1'),
    ).toBe('mssql://u:p%40ss@127.0.0.1:1433/db1?encrypt=false&trustServerCertificate=true');
  });
});
