import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { mountSmallTmpfs, SmallTmpfs } from '@flotilla/testing';

import { SharedStorageLayout } from './shared-storage-layout';
import { SharedStorageProbe } from './shared-storage-probe';
import type { FolderProbe } from './storage-probe';

const OK: FolderProbe = { writable: true, errorCode: '', error: '' };
const OPTIONS = { timeoutMs: 100, cacheMs: 5000 };

function setup(probe: (dir: string) => Promise<FolderProbe>) {
  let now = 1_000_000;
  const probed: string[] = [];
  const sut = new SharedStorageProbe(
    { root: '/shared' },
    OPTIONS,
    (dir) => {
      probed.push(dir);
      return probe(dir);
    },
    () => now,
  );
  return { sut, probed, advance: (ms: number) => (now += ms) };
}

describe(SharedStorageProbe.name, () => {
  it('probes the four folders and is writable when all are', async () => {
    const { sut, probed } = setup(() => Promise.resolve(OK));
    const health = await sut.check();
    expect(health.writable).toBe(true);
    expect(health.folders.map((f) => f.folder)).toEqual([
      'Packages',
      'TaskLogs',
      'Artifacts',
      'EventExports',
    ]);
    expect(probed).toEqual([
      '/shared/Packages',
      '/shared/TaskLogs',
      '/shared/Artifacts',
      '/shared/EventExports',
    ]);
  });

  it('is not writable when one folder is not, and names it', async () => {
    const { sut } = setup((dir) =>
      Promise.resolve(
        dir.endsWith('TaskLogs')
          ? { writable: false, errorCode: 'ENOSPC', error: 'no space left on device' }
          : OK,
      ),
    );
    const health = await sut.check();
    expect(health.writable).toBe(false);
    expect(health.folders.filter((f) => !f.writable)).toEqual([
      { folder: 'TaskLogs', writable: false, errorCode: 'ENOSPC', error: 'no space left on device' },
    ]);
  });

  it('reuses a result for cacheMs and shares one probe between concurrent callers', async () => {
    const { sut, probed, advance } = setup(() => Promise.resolve(OK));
    await Promise.all([sut.check(), sut.check(), sut.check()]);
    expect(probed).toHaveLength(4);
    advance(OPTIONS.cacheMs - 1);
    await sut.check();
    expect(probed).toHaveLength(4);
    advance(1);
    await sut.check();
    expect(probed).toHaveLength(8);
  });

  it('answers within the timeout when a folder hangs, and starts no new write while it is stuck', async () => {
    let release: (probe: FolderProbe) => void = () => undefined;
    const hung = new Promise<FolderProbe>((resolve) => (release = resolve));
    const { sut, probed, advance } = setup((dir) =>
      dir.endsWith('Packages') && probed.length === 1 ? hung : Promise.resolve(OK),
    );
    const startedAt = Date.now();
    const first = await sut.check();
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(first.writable).toBe(false);
    expect(first.folders[0]).toMatchObject({ folder: 'Packages', errorCode: 'ETIMEDOUT' });
    // The other folders are not probed behind a hung mount: each would hold another thread.
    expect(first.folders.slice(1).every((f) => f.errorCode === 'ETIMEDOUT' && !f.writable)).toBe(true);
    expect(probed).toEqual(['/shared/Packages']);

    advance(OPTIONS.cacheMs);
    const second = await sut.check();
    expect(second.folders[0]?.error).toMatch(/^not probed: a write to Packages has not returned for \d+ s$/);
    expect(probed).toEqual(['/shared/Packages']);

    release(OK);
    await new Promise((resolve) => setImmediate(resolve));
    advance(OPTIONS.cacheMs);
    await expect(sut.check()).resolves.toMatchObject({ writable: true });
    expect(probed).toHaveLength(5);
  });
});

describe(`${SharedStorageProbe.name} on real storage`, () => {
  let root: string;
  let packages: SmallTmpfs;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'flotilla-shared-'));
    const layout = new SharedStorageLayout(root);
    await layout.ensureFolders();
    packages = await mountSmallTmpfs(layout.packagesDir, 256 * 1024);
  });

  afterAll(async () => {
    await packages?.unmount();
    await rm(root, { recursive: true, force: true });
  });

  it('sees a read-only Packages folder, then a full one, then a healthy one', async () => {
    const fresh = () => new SharedStorageProbe(new SharedStorageLayout(root)).check();
    await packages.readOnly();
    try {
      const readOnly = await fresh();
      expect(readOnly.writable).toBe(false);
      expect(readOnly.folders.filter((f) => !f.writable)).toEqual([
        { folder: 'Packages', writable: false, errorCode: 'EROFS', error: 'read-only file system' },
      ]);
    } finally {
      await packages.writable();
    }
    await packages.fill();
    try {
      const full = await fresh();
      expect(full.writable).toBe(false);
      expect(full.folders.filter((f) => !f.writable)).toEqual([
        { folder: 'Packages', writable: false, errorCode: 'ENOSPC', error: 'no space left on device' },
      ]);
    } finally {
      await packages.free();
    }
    await expect(fresh()).resolves.toMatchObject({ writable: true });
  });
});
