import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { publishAtomically } from './atomic-publish';

describe(publishAtomically.name, () => {
  it('publishes the whole file and leaves no temp file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-publish-'));
    const target = join(dir, 'pkg.1.0.0.zip');
    await publishAtomically(target, (temp) => writeFile(temp, 'content'));
    await expect(readFile(target, 'utf8')).resolves.toBe('content');
    await expect(readdir(dir)).resolves.toEqual(['pkg.1.0.0.zip']);
  });

  it('leaves an existing target intact when the writer fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-publish-'));
    const target = join(dir, 'pkg.1.0.0.zip');
    await writeFile(target, 'first');
    await expect(
      publishAtomically(target, async (temp) => {
        await writeFile(temp, 'half');
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    await expect(readFile(target, 'utf8')).resolves.toBe('first');
    await expect(readdir(dir)).resolves.toEqual(['pkg.1.0.0.zip']);
  });
});
