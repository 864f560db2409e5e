import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

import { ArchiveEntry, buildTarGz, buildZip } from '@flotilla/testing';

import { extractTarGz } from './tar-extractor';
import { ExtractOptions, UnpackLimitError, UnpackLimits } from './unpack-limits';
import { extractZip } from './zip-extractor';

const MiB = 1024 * 1024;
const LABEL = 'webapp 6.6.6';

/** Real archives through the real extractors, for both formats a package may have. */
const formats = [
  {
    format: 'zip',
    build: (entries: readonly ArchiveEntry[]) => buildZip(entries, { deflate: true }),
    extract: extractZip,
  },
  { format: 'tar.gz', build: buildTarGz, extract: extractTarGz },
] as const;

/** Bytes in the regular files under `dir`: what an extraction left on disk. */
async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => !entry.isDirectory()).map((entry) => entry.name);
}

describe.each(formats)('$format extraction', ({ build, extract }) => {
  let folder: string;
  let archive: string;
  let destination: string;
  let outside: string;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'flotilla-extract-'));
    archive = join(folder, 'package');
    destination = join(folder, 'release');
    outside = join(folder, 'outside');
    await mkdir(destination);
    await mkdir(outside);
  });

  afterEach(() => rm(folder, { recursive: true, force: true }));

  async function extractWith(entries: readonly ArchiveEntry[], limits: Partial<UnpackLimits> = {}) {
    await writeFile(archive, build(entries));
    const options: ExtractOptions = {
      packageLabel: LABEL,
      limits: { maxUnpackedBytes: 64 * MiB, maxArchiveEntries: 1000, ...limits },
      signal: new AbortController().signal,
    };
    return extract(archive, destination, options);
  }

  describe('unpacked size', () => {
    it('stops a bomb at the limit: 64 MiB of zeros against 16 MiB, nothing past it written', async () => {
      const bomb = build([
        { name: 'zeros.bin', content: Buffer.alloc(64 * MiB) },
        { name: 'after.txt', content: 'never reached' },
      ]);
      expect(bomb.length).toBeLessThan(MiB);
      await writeFile(archive, bomb);
      const limits = { maxUnpackedBytes: 16 * MiB, maxArchiveEntries: 1000 };
      const outcome = extract(archive, destination, {
        packageLabel: LABEL,
        limits,
        signal: new AbortController().signal,
      });
      await expect(outcome).rejects.toThrow(UnpackLimitError);
      await expect(outcome).rejects.toThrow(
        'Package webapp 6.6.6 unpacks to more than 16 MiB (16777216 bytes), the limit for one package; ' +
          'set FLOTILLA_MAX_UNPACKED_BYTES to raise it',
      );
      expect(await bytesUnder(destination)).toBeLessThanOrEqual(16 * MiB);
      expect(existsSync(join(destination, 'after.txt'))).toBe(false);
    });

    it('counts the whole package, not one file: eight 4 MiB files against 16 MiB', async () => {
      const entries = Array.from({ length: 8 }, (_, index) => ({
        name: `part-${index}.bin`,
        content: Buffer.alloc(4 * MiB, index),
      }));
      await expect(extractWith(entries, { maxUnpackedBytes: 16 * MiB })).rejects.toThrow(
        'unpacks to more than 16 MiB',
      );
      expect(await bytesUnder(destination)).toBeLessThanOrEqual(16 * MiB);
      expect((await filesUnder(destination)).length).toBeLessThanOrEqual(5);
    });

    it('accepts a package of exactly the limit', async () => {
      const entries = [
        { name: 'a.bin', content: Buffer.alloc(MiB, 1) },
        { name: 'b.bin', content: Buffer.alloc(MiB, 2) },
      ];
      await expect(extractWith(entries, { maxUnpackedBytes: 2 * MiB })).resolves.toBe(2);
      expect(await bytesUnder(destination)).toBe(2 * MiB);
    });
  });

  describe('entry count', () => {
    const entries = (count: number) =>
      Array.from({ length: count }, (_, index) => ({ name: `f/${index}.txt`, content: '' }));

    it('refuses more entries than the limit, writing no more than the limit', async () => {
      await expect(extractWith(entries(25), { maxArchiveEntries: 10 })).rejects.toThrow(
        'Package webapp 6.6.6 has more than 10 entries, the limit for one package; ' +
          'set FLOTILLA_MAX_ARCHIVE_ENTRIES to raise it',
      );
      expect((await filesUnder(destination)).length).toBeLessThanOrEqual(10);
    });

    it('accepts exactly the limit (empty files included)', async () => {
      await expect(extractWith(entries(10), { maxArchiveEntries: 10 })).resolves.toBe(10);
      expect(await filesUnder(destination)).toHaveLength(10);
    });
  });

  describe('entries that would write outside the release folder', () => {
    it('refuses an absolute path', async () => {
      const target = join(outside, 'abs.txt');
      await expect(extractWith([{ name: target, content: 'pwned' }])).rejects.toThrow(
        `unsafe entry ${target} in package webapp 6.6.6 (absolute path)`,
      );
      expect(existsSync(target)).toBe(false);
    });

    it('refuses a ../ path', async () => {
      await expect(extractWith([{ name: 'a/../../outside/up.txt', content: 'pwned' }])).rejects.toThrow(
        'unsafe entry a/../../outside/up.txt in package webapp 6.6.6 (parent-folder segment)',
      );
      expect(await readdir(outside)).toEqual([]);
    });

    it('refuses a symbolic link, before a file could be written through it', async () => {
      const outcome = extractWith([
        { name: 'ok.txt', content: 'fine' },
        { kind: 'symlink', name: 'escape', target: '../outside' },
        { name: 'escape/pwned.txt', content: 'pwned' },
      ]);
      await expect(outcome).rejects.toThrow(
        /^unsafe entry escape in package webapp 6\.6\.6 \((symbolic link|SymbolicLink entry)\)$/,
      );
      expect(await readdir(outside)).toEqual([]);
      await expect(lstat(join(destination, 'escape'))).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });
});

describe('tar.gz extraction only', () => {
  let folder: string;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'flotilla-extract-'));
  });

  afterEach(() => rm(folder, { recursive: true, force: true }));

  const options = (): ExtractOptions => ({
    packageLabel: LABEL,
    limits: { maxUnpackedBytes: 64 * MiB, maxArchiveEntries: 1000 },
    signal: new AbortController().signal,
  });

  it.each([
    ['an absolute target', (outside: string) => join(outside, 'secret.txt')],
    ['a ../ target', () => '../outside/secret.txt'],
  ])('refuses a hard link to %s, leaving the target untouched', async (_, target) => {
    const outside = join(folder, 'outside');
    const destination = join(folder, 'release');
    await mkdir(outside);
    await mkdir(destination);
    const secret = join(outside, 'secret.txt');
    await writeFile(secret, 'secret');
    const archive = join(folder, 'package.tar.gz');
    await writeFile(
      archive,
      buildTarGz([
        { kind: 'hardlink', name: 'hard', target: target(outside) },
        { name: 'hard', content: 'overwritten through the link' },
      ]),
    );
    await expect(extractTarGz(archive, destination, options())).rejects.toThrow(
      'unsafe entry hard in package webapp 6.6.6 (Link entry)',
    );
    await expect(readFile(secret, 'utf8')).resolves.toBe('secret');
    expect((await stat(secret)).nlink).toBe(1);
    expect(await readdir(destination)).toEqual([]);
  });

  it('extracts what GNU tar makes: ./ entries, folders, empty files, modes and times', async () => {
    const source = join(folder, 'source');
    await mkdir(join(source, 'bin'), { recursive: true });
    await mkdir(join(source, 'empty-folder'));
    await writeFile(join(source, 'bin', 'run.sh'), 'echo hi\n');
    await chmod(join(source, 'bin', 'run.sh'), 0o4777);
    await writeFile(join(source, 'empty.txt'), '');
    const mtime = new Date('2024-01-02T03:04:05Z');
    await utimes(join(source, 'bin', 'run.sh'), mtime, mtime);
    const archive = join(folder, 'package.tar.gz');
    execFileSync('tar', ['-czf', archive, '-C', source, '.']);
    const destination = join(folder, 'release');
    await mkdir(destination);

    await expect(extractTarGz(archive, destination, options())).resolves.toBe(2);
    const script = await stat(join(destination, 'bin', 'run.sh'));
    await expect(readFile(join(destination, 'bin', 'run.sh'), 'utf8')).resolves.toBe('echo hi\n');
    // Executable kept; setuid and world-write dropped.
    expect(script.mode & 0o7777).toBe(0o755);
    expect(script.mtime.toISOString()).toBe(mtime.toISOString());
    expect((await stat(join(destination, 'empty.txt'))).size).toBe(0);
    expect((await stat(join(destination, 'empty-folder'))).isDirectory()).toBe(true);
  });

  it.each([
    ['not gzip', () => Buffer.from('not a tarball at all'), 'incorrect header check'],
    [
      'cut short',
      () => buildTarGz([{ name: 'a.bin', content: randomBytes(64 * 1024) }]).subarray(0, 20_000),
      'unexpected end of file',
    ],
    [
      'a tar cut short inside whole gzip',
      () =>
        gzipSync(gunzipSync(buildTarGz([{ name: 'a.bin', content: randomBytes(8192) }])).subarray(0, 2048)),
      'TAR_BAD_ARCHIVE: Truncated input',
    ],
    ['gzip but not tar', () => gzipSync('hello '.repeat(1000)), 'TAR_ENTRY_INVALID: checksum failure'],
  ])('refuses an archive that is %s, naming the package', async (_, content, problem) => {
    const archive = join(folder, 'package.tar.gz');
    await writeFile(archive, content());
    const destination = join(folder, 'release');
    await mkdir(destination);
    await expect(extractTarGz(archive, destination, options())).rejects.toThrow(
      `Package webapp 6.6.6 is not a valid tar.gz: ${problem}`,
    );
  });

  it('stops when the task is cancelled mid-extraction', async () => {
    const archive = join(folder, 'package.tar.gz');
    await writeFile(
      archive,
      buildTarGz(
        Array.from({ length: 200 }, (_, index) => ({
          name: `${index}.bin`,
          content: Buffer.alloc(64 * 1024),
        })),
      ),
    );
    const destination = join(folder, 'release');
    await mkdir(destination);
    const controller = new AbortController();
    const outcome = extractTarGz(archive, destination, { ...options(), signal: controller.signal });
    setImmediate(() => controller.abort(new Error('cancelled')));
    await expect(outcome).rejects.toThrow();
    expect((await filesUnder(destination)).length).toBeLessThan(200);
  });
});
