import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SharedStorageLayout } from '@flotilla/platform/storage';

import { PackageFileExistsError, PackageStorage } from './package-storage';

describe(PackageStorage.name, () => {
  async function createSut(): Promise<{ sut: PackageStorage; layout: SharedStorageLayout }> {
    const layout = new SharedStorageLayout(await mkdtemp(join(tmpdir(), 'flotilla-pkgstore-')));
    await layout.ensureFolders();
    return { sut: new PackageStorage(layout), layout };
  }

  it('publishes a temp file under its final name and removes the temp name', async () => {
    const { sut, layout } = await createSut();
    const temp = sut.newTempPath();
    await writeFile(temp, 'first');
    await sut.publishNoClobber(temp, 'app.1.0.0.zip');
    await expect(readdir(layout.packagesDir)).resolves.toEqual(['app.1.0.0.zip']);
    await expect(readFile(layout.packagePath('app.1.0.0.zip'), 'utf8')).resolves.toBe('first');
  });

  it('never replaces a file that is already published', async () => {
    const { sut, layout } = await createSut();
    await writeFile(layout.packagePath('app.1.0.0.zip'), 'first');
    const temp = sut.newTempPath();
    await writeFile(temp, 'second');
    await expect(sut.publishNoClobber(temp, 'app.1.0.0.zip')).rejects.toBeInstanceOf(PackageFileExistsError);
    await expect(readFile(layout.packagePath('app.1.0.0.zip'), 'utf8')).resolves.toBe('first');
  });

  it('creates temp files inside Packages/ only, and refuses to reuse one', async () => {
    const { sut, layout } = await createSut();
    const temp = sut.newTempPath();
    expect(temp.startsWith(`${layout.packagesDir}/.upload-`)).toBe(true);
    await writeFile(temp, 'x');
    const writer = sut.openTempWriter(temp);
    await expect(new Promise((_resolve, reject) => writer.once('error', reject))).rejects.toMatchObject({
      code: 'EEXIST',
    });
  });

  it('sweeps only abandoned temp files', async () => {
    const { sut, layout } = await createSut();
    await writeFile(sut.newTempPath(), 'old');
    await writeFile(layout.packagePath('app.1.0.0.zip'), 'kept');
    await expect(sut.sweepAbandonedTempFiles(60_000)).resolves.toBe(0);
    await expect(sut.sweepAbandonedTempFiles(-1)).resolves.toBe(1);
    await expect(readdir(layout.packagesDir)).resolves.toEqual(['app.1.0.0.zip']);
  });

  it('reports a missing package file when opening it', async () => {
    const { sut } = await createSut();
    await expect(sut.openReader('missing.1.0.0.zip')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
