import { execFile } from 'node:child_process';
import { mkdtemp, open, readFile, rm, rmdir, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { waitFor } from '../test-support/waiting';
import { TaskLogWriter } from './task-log-writer';

const run = promisify(execFile);

/** Fills the file system with one file, then frees `roomBytes` of it. */
async function fillUp(path: string, roomBytes: number): Promise<void> {
  const handle = await open(path, 'w');
  const block = Buffer.alloc(4096, 0x78);
  try {
    for (;;) await handle.write(block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    await handle.close();
  }
  const { size } = await stat(path);
  await truncate(path, Math.max(0, size - roomBytes));
}

/** Each line must be a whole JSON record: a torn one fails the parse. */
async function messages(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  if (text.length > 0) expect(text.endsWith('\n')).toBe(true);
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => (JSON.parse(line) as { message: string }).message);
}

const numbered = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, index) => `line ${from + index} ${'.'.repeat(40)}`);

/**
 * The fault on a real file system: TaskLogs on a 64 KiB tmpfs that fills up while a task
 * prints 1,500 lines. Needs root (CI runs as root); without a mount this fails rather than skips.
 */
describe(`${TaskLogWriter.name} on a full tmpfs`, () => {
  let mountPoint: string;
  let filler: string;
  let path: string;

  beforeAll(async () => {
    mountPoint = await mkdtemp(join(tmpdir(), 'flotilla-tmpfs-'));
    await run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint]);
    filler = join(mountPoint, 'filler');
  });

  afterAll(async () => {
    await run('umount', [mountPoint]);
    await rmdir(mountPoint);
  });

  beforeEach(() => {
    path = join(mountPoint, 'TaskLogs', `task-${Date.now()}.log`);
  });

  afterEach(async () => {
    await rm(join(mountPoint, 'TaskLogs'), { recursive: true, force: true });
    await rm(filler, { force: true });
  });

  it('writes whole records only, holds a bounded number, marks the rest where it is missing once space returns', async () => {
    const sut = await TaskLogWriter.open(path, { maxHeldLines: 400 });
    await fillUp(filler, 8 * 1024);
    const lines = numbered(0, 1500);
    lines.slice(0, 300).forEach((line) => sut.info(line));
    await sut.sync();
    // Storage is full now: the rest arrives while writes fail, so the bound applies.
    lines.slice(300).forEach((line) => sut.info(line));
    await sut.sync();

    const whileFull = await messages(path);
    expect(whileFull.length).toBeGreaterThan(0);
    expect(whileFull.length).toBeLessThan(300);
    expect(whileFull).toEqual(lines.slice(0, whileFull.length));

    await rm(filler);
    const marker = /^Log gap: (\d+) line\(s\) could not be written here \(shared storage full: ENOSPC\)$/;
    await waitFor(
      async () => ((await messages(path)).some((line) => marker.test(line)) ? true : undefined),
      5000,
    );
    sut.info('after');
    await sut.close();

    const written = await messages(path);
    const gapAt = written.findIndex((line) => marker.test(line));
    const lost = Number(marker.exec(written[gapAt])?.[1]);
    // Everything before the marker is the log's start without a hole; held lines are at most the bound.
    expect(written.slice(0, gapAt)).toEqual(lines.slice(0, gapAt));
    expect(gapAt - whileFull.length).toBeLessThanOrEqual(400);
    expect(gapAt + lost).toBe(1500);
    expect(written.slice(gapAt + 1)).toEqual(['after']);
    expect(sut.integrity()).toEqual({ linesLost: lost, problem: 'shared storage full (ENOSPC)' });
  });

  it('completes close() while storage stays full, counting every unwritten line and leaving no torn record', async () => {
    const sut = await TaskLogWriter.open(path, { closeRetryMs: 300 });
    await fillUp(filler, 4 * 1024);
    const lines = numbered(0, 1500);
    lines.forEach((line) => sut.info(line));

    await expect(sut.close()).resolves.toBeUndefined();

    const written = await messages(path);
    expect(written).toEqual(lines.slice(0, written.length));
    expect(sut.integrity()).toEqual({
      linesLost: 1500 - written.length,
      problem: 'shared storage full (ENOSPC)',
    });
    expect(written.length).toBeLessThan(1500);
  });
});
