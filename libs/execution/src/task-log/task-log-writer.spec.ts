import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseWholeLines } from './task-log-line';
import { TaskLogWriter } from './task-log-writer';

describe(TaskLogWriter.name, () => {
  let folder: string;
  let path: string;
  const clock = () => new Date('2024-05-01T12:00:00.000Z');

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'flotilla-writer-'));
    path = join(folder, 'TaskLogs', 'task-1.log');
  });

  afterEach(() => rm(folder, { recursive: true, force: true }));

  const lines = async () => parseWholeLines(await readFile(path)).lines;

  it('makes lines visible to readers within 100 ms, in order, as JSON lines', async () => {
    const sut = await TaskLogWriter.open(path, { clock });
    sut.info('first');
    sut.error('second');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(lines()).resolves.toEqual([
      { timestamp: '2024-05-01T12:00:00.000Z', level: 'Info', message: 'first' },
      { timestamp: '2024-05-01T12:00:00.000Z', level: 'Error', message: 'second' },
    ]);
    await sut.close();
  });

  it('appends to an existing log (a task resumed on another node)', async () => {
    const first = await TaskLogWriter.open(path, { clock });
    first.info('before');
    await first.close();
    const sut = await TaskLogWriter.open(path, { clock });
    sut.warning('after');
    await sut.close();
    expect((await lines()).map((line) => line.message)).toEqual(['before', 'after']);
  });

  it('cuts a record a previous owner left torn (its node died mid-write) before appending', async () => {
    const first = await TaskLogWriter.open(path, { clock });
    first.info('whole');
    await first.close();
    await appendFile(path, '{"timestamp":"2024-05-01T12:00:00.000Z","level":"Info","message":"cut sh');
    const sut = await TaskLogWriter.open(path, { clock });
    sut.info('next owner');
    await sut.close();
    const text = await readFile(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { message: string }).message),
    ).toEqual(['whole', 'next owner']);
  });

  it('abandons quietly when closing the file fails (a share reporting a failed write at close)', async () => {
    const sut = await TaskLogWriter.open(path, {
      clock,
      wrapHandle: (handle) =>
        new Proxy(handle, {
          get: (target, property, receiver) =>
            property === 'close'
              ? async () => {
                  await target.close();
                  throw Object.assign(new Error('EIO: i/o error, close'), { code: 'EIO' });
                }
              : (Reflect.get(target, property, receiver) as unknown),
        }),
    });
    sut.info('kept');
    await sut.sync();
    await expect(sut.abandon()).resolves.toBeUndefined();
  });

  it('redacts sensitive values', async () => {
    const sut = await TaskLogWriter.open(path, {
      clock,
      redact: (message) => message.replace('hunter2', '********'),
    });
    sut.info('password is hunter2');
    await sut.close();
    expect((await lines())[0].message).toBe('password is ********');
  });

  it('writes nothing pending or later once abandoned', async () => {
    const sut = await TaskLogWriter.open(path, { clock });
    sut.info('kept');
    await sut.sync();
    sut.info('pending');
    await sut.abandon();
    sut.info('later');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await lines()).map((line) => line.message)).toEqual(['kept']);
  });

  it('holds pending lines back while writing is not allowed, then writes them in order', async () => {
    let allowed = true;
    const sut = await TaskLogWriter.open(path, { clock, mayWrite: () => allowed });
    sut.info('before');
    await sut.sync();
    allowed = false;
    sut.info('held');
    await sut.sync();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await lines()).map((line) => line.message)).toEqual(['before']);
    allowed = true;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await lines()).map((line) => line.message)).toEqual(['before', 'held']);
    await sut.close();
  });

  it('asks again right before writing: a claim lost while the flush was under way (the process frozen) writes nothing', async () => {
    let allowed = true;
    let freezeAtNextStat = false;
    const sut = await TaskLogWriter.open(path, {
      clock,
      mayWrite: () => allowed,
      wrapHandle: (handle) =>
        new Proxy(handle, {
          get: (target, property, receiver) =>
            property === 'stat'
              ? async () => {
                  const stats = await target.stat();
                  // flush() has already asked; the lease runs out before the write itself.
                  if (freezeAtNextStat) allowed = false;
                  return stats;
                }
              : (Reflect.get(target, property, receiver) as unknown),
        }),
    });
    sut.info('before');
    await sut.sync();
    freezeAtNextStat = true;
    sut.info('in flight');
    await sut.sync();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await lines()).map((line) => line.message)).toEqual(['before']);
    freezeAtNextStat = false;
    allowed = true;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await lines()).map((line) => line.message)).toEqual(['before', 'in flight']);
    await sut.close();
  });
});
