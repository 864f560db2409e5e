import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildTarGz, buildZip } from './zip-writer';

describe('archive builders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-archive-'));

  it("builds a zip that Python's zipfile reads and verifies", () => {
    const file = join(dir, 'a.zip');
    writeFileSync(
      file,
      buildZip([
        { name: 'web/index.html', content: '<h1>hi</h1>' },
        { name: 'app.js', content: 'x' },
      ]),
    );
    const listing = execFileSync(
      'python3',
      ['-c', `import zipfile,sys;z=zipfile.ZipFile(sys.argv[1]);print(z.testzip(),z.namelist())`, file],
      { encoding: 'utf8' },
    );
    expect(listing.trim()).toBe("None ['web/index.html', 'app.js']");
  });

  it('builds a tar.gz that GNU tar lists', () => {
    const file = join(dir, 'a.tar.gz');
    writeFileSync(file, buildTarGz([{ name: 'bin/run.sh', content: 'echo hi\n' }]));
    expect(execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim()).toBe('bin/run.sh');
  });
});
