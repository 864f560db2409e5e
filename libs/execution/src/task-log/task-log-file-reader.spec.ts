import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { OffsetBeyondEndError, readTaskLogFile } from './task-log-file-reader';
import { formatTaskLogLine } from './task-log-line';

describe(readTaskLogFile.name, () => {
  let folder: string;
  let path: string;
  const lines = Array.from({ length: 5 }, (_, index) =>
    formatTaskLogLine(`t${index}`, 'Info', `line ${index}`),
  );

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'flotilla-log-'));
    path = join(folder, 'task.log');
  });

  afterEach(() => rm(folder, { recursive: true, force: true }));

  it('reads from an offset to the last whole line', async () => {
    await writeFile(path, lines.join('') + '{"partial":');
    const offset = Buffer.byteLength(lines[0]);
    const sut = await readTaskLogFile(path, offset, 0);
    expect(sut?.lines.map((line) => line.message)).toEqual(['line 1', 'line 2', 'line 3', 'line 4']);
    expect(sut?.nextOffset).toBe(Buffer.byteLength(lines.join('')));
    expect(sut?.atEnd).toBe(false);
  });

  it('continues from next_offset without repeating or skipping lines', async () => {
    await writeFile(path, lines.slice(0, 2).join(''));
    const first = await readTaskLogFile(path, 0, 0);
    await writeFile(path, lines.join(''));
    const second = await readTaskLogFile(path, first?.nextOffset ?? -1, 0);
    expect(second?.lines.map((line) => line.message)).toEqual(['line 2', 'line 3', 'line 4']);
    expect(second?.atEnd).toBe(true);
  });

  it('returns the last N lines for tail', async () => {
    await writeFile(path, lines.join(''));
    const sut = await readTaskLogFile(path, 0, 2);
    expect(sut?.lines.map((line) => line.message)).toEqual(['line 3', 'line 4']);
    expect(sut?.nextOffset).toBe(Buffer.byteLength(lines.join('')));
  });

  it('reads a tail longer than the log as the whole log', async () => {
    await writeFile(path, lines.join(''));
    expect((await readTaskLogFile(path, 0, 100))?.lines).toHaveLength(5);
  });

  it('finds the tail of a log larger than one read block', async () => {
    const many = Array.from({ length: 3000 }, (_, index) =>
      formatTaskLogLine('t', 'Info', `line ${index} ${'x'.repeat(40)}`),
    );
    await writeFile(path, many.join(''));
    const sut = await readTaskLogFile(path, 0, 3);
    expect(sut?.lines.map((line) => line.message.split(' ')[1])).toEqual(['2997', '2998', '2999']);
  });

  it('says there is no file', async () => {
    await expect(readTaskLogFile(path, 0, 0)).resolves.toBeUndefined();
  });

  it('refuses an offset past the end', async () => {
    await writeFile(path, lines[0]);
    await expect(readTaskLogFile(path, 10_000, 0)).rejects.toBeInstanceOf(OffsetBeyondEndError);
  });
});
