import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { adminPassword, signInLine } from './admin-password';

describe(adminPassword.name, () => {
  let folder: string;
  beforeEach(async () => (folder = await mkdtemp(join(tmpdir(), 'flotilla-admin-password-'))));
  afterEach(() => rm(folder, { recursive: true, force: true }));

  it('takes a configured password as it is, writes no file and never prints it', async () => {
    const file = join(folder, 'admin-password');
    const admin = await adminPassword('operator-chosen-secret', file);
    expect(admin).toEqual({ origin: 'configured', password: 'operator-chosen-secret' });
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
    expect(signInLine('admin', admin)).toBe('admin / password: the one in FLOTILLA_ADMIN_PASSWORD');
  });

  it('generates one at first start (0600, printed once), then reads it back without printing it', async () => {
    const file = join(folder, 'data', 'admin-password');
    const first = await adminPassword(undefined, file);
    expect(first).toMatchObject({ origin: 'generated', file, createdNow: true });
    expect(first.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(first.password);
    expect(signInLine('admin', first)).toContain(first.password);

    const later = await adminPassword(undefined, file);
    expect(later).toEqual({ ...first, createdNow: false });
    expect(signInLine('admin', later)).not.toContain(first.password);
    expect(signInLine('admin', later)).toContain(file);
  });
});
