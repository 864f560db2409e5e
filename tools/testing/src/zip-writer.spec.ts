import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildTarGz, buildZip } from './zip-writer';

/** Python's zipfile, which checks CRCs and sizes, as an independent reader of our zips. */
function pythonZip(file: string, script: string): string {
  return execFileSync(
    'python3',
    ['-c', `import sys,stat,zipfile;z=zipfile.ZipFile(sys.argv[1]);${script}`, file],
    {
      encoding: 'utf8',
    },
  ).trim();
}

describe('archive builders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-archive-'));

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("builds a zip that Python's zipfile reads and verifies", () => {
    const file = join(dir, 'a.zip');
    writeFileSync(
      file,
      buildZip([
        { name: 'web/index.html', content: '<h1>hi</h1>' },
        { name: 'app.js', content: 'x' },
      ]),
    );
    expect(pythonZip(file, 'print(z.testzip(),z.namelist())')).toBe("None ['web/index.html', 'app.js']");
  });

  it('deflates on request: a small zip that inflates to the full content', () => {
    const file = join(dir, 'deflated.zip');
    const zip = buildZip([{ name: 'zeros.bin', content: Buffer.alloc(4 * 1024 * 1024) }], { deflate: true });
    expect(zip.length).toBeLessThan(16 * 1024);
    writeFileSync(file, zip);
    expect(
      pythonZip(
        file,
        'i=z.getinfo("zeros.bin");print(z.testzip(),i.compress_type,i.file_size,len(z.read(i)))',
      ),
    ).toBe(`None 8 ${4 * 1024 * 1024} ${4 * 1024 * 1024}`);
  });

  it('writes a symlink entry as a Unix host does: S_IFLNK mode and the target as content', () => {
    const file = join(dir, 'link.zip');
    writeFileSync(file, buildZip([{ kind: 'symlink', name: 'escape', target: '../../outside' }]));
    expect(
      pythonZip(
        file,
        'i=z.getinfo("escape");print(i.create_system,stat.S_ISLNK(i.external_attr>>16),oct(i.external_attr>>16),z.read(i).decode())',
      ),
    ).toBe('3 True 0o120777 ../../outside');
  });

  it('has no zip form for a hard link', () => {
    expect(() => buildZip([{ kind: 'hardlink', name: 'h', target: 'x' }])).toThrow('zip has no hard links');
  });

  it('builds a tar.gz that GNU tar lists', () => {
    const file = join(dir, 'a.tar.gz');
    writeFileSync(file, buildTarGz([{ name: 'bin/run.sh', content: 'echo hi\n' }]));
    expect(execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim()).toBe('bin/run.sh');
  });

  it('writes tar symlink and hard link entries that GNU tar and Python read as links', () => {
    const file = join(dir, 'links.tar.gz');
    writeFileSync(
      file,
      buildTarGz([
        { name: 'a.txt', content: 'a' },
        { kind: 'symlink', name: 'soft', target: '/etc/passwd' },
        { kind: 'hardlink', name: 'hard', target: '../outside.txt' },
      ]),
    );
    const modes = execFileSync('tar', ['-tvzf', file], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => line.slice(0, 10));
    expect(modes).toEqual(['-rw-r--r--', 'lrwxrwxrwx', 'hrw-r--r--']);
    // GNU tar tidies "../" out of what it prints; Python shows the stored target verbatim.
    const members = execFileSync(
      'python3',
      [
        '-c',
        'import sys,tarfile;[print(m.name,m.type.decode(),m.linkname) for m in tarfile.open(sys.argv[1])]',
        file,
      ],
      { encoding: 'utf8' },
    );
    expect(members.trim().split('\n')).toEqual(['a.txt 0 ', 'soft 2 /etc/passwd', 'hard 1 ../outside.txt']);
  });
});
