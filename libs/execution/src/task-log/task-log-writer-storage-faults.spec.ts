import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { sleep, waitFor } from '../test-support/waiting';
import { StorageFaults } from './storage-faults.test-support';
import { TaskLogWriter, TaskLogWriterOptions } from './task-log-writer';

/** Every line of the file, each of which must be a whole JSON record (a torn one fails here). */
async function records(path: string): Promise<{ level: string; message: string }[]> {
  const text = await readFile(path, 'utf8');
  if (text.length > 0) expect(text.endsWith('\n')).toBe(true);
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as { level: string; message: string });
}

const messages = async (path: string) => (await records(path)).map((record) => record.message);
const numbered = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, index) => `line ${from + index}`);

describe(`${TaskLogWriter.name} on failing storage`, () => {
  let folder: string;
  let path: string;
  let disk: StorageFaults;
  let sut: TaskLogWriter | undefined;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'flotilla-writer-faults-'));
    path = join(folder, 'task.log');
    disk = new StorageFaults();
  });

  afterEach(async () => {
    await sut?.close();
    sut = undefined;
    await rm(folder, { recursive: true, force: true });
  });

  async function open(options: TaskLogWriterOptions = {}): Promise<TaskLogWriter> {
    sut = await TaskLogWriter.open(path, { wrapHandle: (handle) => disk.wrap(handle), ...options });
    return sut;
  }

  function log(writer: TaskLogWriter, from: number, to: number): void {
    for (const message of numbered(from, to)) writer.info(message);
  }

  it('cuts a write that ran out of space back to whole records, then writes the rest when space returns', async () => {
    const writer = await open();
    log(writer, 0, 5);
    await writer.sync();
    // Room for one record and a half: the batch of five is written short, mid-record.
    const recordBytes = Buffer.byteLength((await readFile(path, 'utf8')).split('\n')[0]) + 1;
    await disk.fillUp(recordBytes + Math.floor(recordBytes / 2));
    log(writer, 5, 10);
    await writer.flush();

    await expect(messages(path)).resolves.toEqual(numbered(0, 6));
    disk.makeRoom();
    await waitFor(async () => ((await messages(path)).length === 10 ? true : undefined), 2000);
    await expect(messages(path)).resolves.toEqual(numbered(0, 10));
    await writer.close();
    expect(writer.integrity()).toEqual({ linesLost: 0, problem: '' });
  });

  it('holds at most maxHeldLines while storage is full, counts the rest and marks them where they are missing', async () => {
    const writer = await open({ maxHeldLines: 10 });
    log(writer, 0, 5);
    await writer.sync();
    await disk.fillUp(20);
    log(writer, 5, 6);
    await writer.flush();
    // Failing now: lines 5-14 are held, 15-29 are beyond the bound.
    log(writer, 6, 30);
    await writer.sync();
    await expect(messages(path)).resolves.toEqual(numbered(0, 5));

    disk.makeRoom();
    await waitFor(async () => ((await messages(path)).length === 16 ? true : undefined), 2000);
    log(writer, 30, 32);
    await writer.close();

    const written = await records(path);
    expect(written.map((record) => record.message)).toEqual([
      ...numbered(0, 15),
      'Log gap: 15 line(s) could not be written here (shared storage full: ENOSPC)',
      ...numbered(30, 32),
    ]);
    expect(written[15].level).toBe('Warning');
    expect(writer.integrity()).toEqual({ linesLost: 15, problem: 'shared storage full (ENOSPC)' });
  });

  it('honours the byte bound as well as the line bound', async () => {
    const writer = await open({ maxHeldBytes: 1000 });
    disk.failWith = 'ENOSPC';
    writer.info('first');
    await writer.flush();
    log(writer, 0, 100);
    disk.makeRoom();
    await writer.close();

    const written = await messages(path);
    // Records here are about 80 bytes: about 12 fit in 1000 bytes.
    const held = written.filter((message) => message.startsWith('line ')).length;
    expect(held).toBeGreaterThanOrEqual(10);
    expect(held).toBeLessThanOrEqual(12);
    expect(written.at(-1)).toBe(
      `Log gap: ${100 - held} line(s) could not be written here (shared storage full: ENOSPC)`,
    );
    expect(writer.integrity().linesLost).toBe(100 - held);
  });

  it('gives lines up after the retry window and marks them, naming read-only storage', async () => {
    const writer = await open({ retryMs: 150 });
    writer.info('before');
    await writer.sync();
    disk.failWith = 'EROFS';
    log(writer, 0, 20);
    await writer.flush();
    await sleep(400);
    disk.makeRoom();
    writer.info('after');
    await writer.close();

    await expect(messages(path)).resolves.toEqual([
      'before',
      'Log gap: 20 line(s) could not be written here (shared storage read-only: EROFS)',
      'after',
    ]);
    expect(writer.integrity()).toEqual({ linesLost: 20, problem: 'shared storage read-only (EROFS)' });
  });

  it('keeps lines logged after the window began: each line waits its own retry window', async () => {
    const writer = await open({ retryMs: 300 });
    disk.failWith = 'EIO';
    writer.info('old');
    await writer.flush();
    await sleep(400);
    writer.info('recent');
    await writer.flush();
    disk.makeRoom();
    await writer.close();

    await expect(messages(path)).resolves.toEqual([
      'Log gap: 1 line(s) could not be written here (shared storage I/O error: EIO)',
      'recent',
    ]);
    expect(writer.integrity()).toEqual({ linesLost: 1, problem: 'shared storage I/O error (EIO)' });
  });

  it('does not throw from sync() or close() while storage stays full; close gives up within its bound and counts what is held', async () => {
    const writer = await open({ closeRetryMs: 200 });
    writer.info('kept');
    await writer.sync();
    await disk.fillUp(10);
    log(writer, 0, 40);
    await expect(writer.sync()).resolves.toBeUndefined();

    const started = Date.now();
    await expect(writer.close()).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1000);
    // No marker could be written: the reader adds one from the count (TaskLogService).
    await expect(messages(path)).resolves.toEqual(['kept']);
    expect(writer.integrity()).toEqual({ linesLost: 40, problem: 'shared storage full (ENOSPC)' });
  });

  it('writes held lines and the marker at close when space returns during its last attempt', async () => {
    const writer = await open({ maxHeldLines: 3, closeRetryMs: 2000 });
    disk.failWith = 'ENOSPC';
    writer.info('a');
    await writer.flush();
    log(writer, 0, 5);
    setTimeout(() => disk.makeRoom(), 100);
    await writer.close();

    await expect(messages(path)).resolves.toEqual([
      'a',
      'line 0',
      'line 1',
      'Log gap: 3 line(s) could not be written here (shared storage full: ENOSPC)',
    ]);
    expect(writer.integrity().linesLost).toBe(3);
  });

  it('leaves no torn record even when cutting the short write back fails at first', async () => {
    const writer = await open();
    writer.info('before');
    await writer.sync();
    await disk.fillUp(30);
    disk.truncateFailsWith = 'EIO';
    log(writer, 0, 3);
    await writer.flush();
    // The torn bytes are still in the file now; the writer knows and cuts them before writing again.
    disk.truncateFailsWith = undefined;
    disk.makeRoom();
    await writer.close();

    await expect(messages(path)).resolves.toEqual(['before', ...numbered(0, 3)]);
    expect(writer.integrity()).toEqual({ linesLost: 0, problem: '' });
  });

  it('retries with backoff rather than in a tight loop', async () => {
    const writer = await open({ retryMs: 10_000 });
    disk.failWith = 'ENOSPC';
    writer.info('held');
    await writer.flush();
    const before = disk.writeCalls;
    await sleep(500);
    // 25, 50, 100, 200 ms apart: a handful of attempts, not hundreds.
    expect(disk.writeCalls - before).toBeGreaterThanOrEqual(2);
    expect(disk.writeCalls - before).toBeLessThanOrEqual(6);
    disk.makeRoom();
  });
});
