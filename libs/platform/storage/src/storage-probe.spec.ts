import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { mountSmallTmpfs, SmallTmpfs } from '@flotilla/testing';

import { folderProbeFailure, probeFolder } from './storage-probe';

describe(probeFolder.name, () => {
  let root: string;
  let tmpfs: SmallTmpfs;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'flotilla-probe-'));
    tmpfs = await mountSmallTmpfs(join(root, 'mnt'), 256 * 1024);
  });

  afterAll(async () => {
    await tmpfs?.unmount();
    await rm(root, { recursive: true, force: true });
  });

  it('finds a writable folder writable and leaves nothing in it', async () => {
    await expect(probeFolder(tmpfs.dir)).resolves.toEqual({ writable: true, errorCode: '', error: '' });
    await expect(readdir(tmpfs.dir)).resolves.toEqual([]);
  });

  it('reports a read-only mount as EROFS', async () => {
    await tmpfs.readOnly();
    try {
      await expect(probeFolder(tmpfs.dir)).resolves.toEqual({
        writable: false,
        errorCode: 'EROFS',
        error: 'read-only file system',
      });
    } finally {
      await tmpfs.writable();
    }
  });

  it('reports a full file system as ENOSPC and removes its half-written file', async () => {
    await tmpfs.fill();
    try {
      await expect(probeFolder(tmpfs.dir)).resolves.toEqual({
        writable: false,
        errorCode: 'ENOSPC',
        error: 'no space left on device',
      });
      expect((await readdir(tmpfs.dir)).filter((name) => name.startsWith('.flotilla-probe'))).toEqual([]);
    } finally {
      await tmpfs.free();
    }
    await expect(probeFolder(tmpfs.dir)).resolves.toMatchObject({ writable: true });
  });

  it('reports a missing folder by its code without naming the path', async () => {
    const sut = await probeFolder(join(root, 'nowhere'));
    expect(sut).toEqual({
      writable: false,
      errorCode: 'ENOENT',
      error: 'a probe file could not be written (ENOENT)',
    });
  });
});

describe(folderProbeFailure.name, () => {
  it('has words for the storage failures', () => {
    expect(folderProbeFailure(Object.assign(new Error('x'), { code: 'EDQUOT' }))).toEqual({
      writable: false,
      errorCode: 'EDQUOT',
      error: 'disk quota exceeded',
    });
    expect(folderProbeFailure(new Error('no code'))).toMatchObject({ writable: false, errorCode: 'UNKNOWN' });
  });
});
