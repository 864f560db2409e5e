import { execFileSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Logger } from '@nestjs/common';

import { RecoveryTaskLog } from './recovery-task-log';

/** Linux's default pipe capacity: a write of this much fills an empty pipe without blocking. */
const PIPE_CAPACITY = 65536;

describe(RecoveryTaskLog.name, () => {
  let root: string;
  let warnings: string[];

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'recovery-task-log-'));
    mkdirSync(join(root, 'TaskLogs'));
    warnings = [];
    jest
      .spyOn(Logger.prototype, 'warn')
      .mockImplementation((message: unknown) => void warnings.push(String(message)));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(root, { recursive: true, force: true });
  });

  const logOf = (taskId: string) => join(root, 'TaskLogs', `${taskId}.log`);

  it('appends one whole record after what the executor wrote', async () => {
    const executorLine =
      '{"timestamp":"2030-01-01T00:00:00.000Z","level":"Info","message":"Step Run completed"}\n';
    writeFileSync(logOf('t1'), executorLine);

    await new RecoveryTaskLog({ sharedStorage: root }).append(
      't1',
      'Error',
      'Recovery: node n1 stopped; the task failed.',
    );

    const [first, second, ...rest] = readFileSync(logOf('t1'), 'utf8').split('\n');
    expect(`${first}\n`).toBe(executorLine);
    expect(JSON.parse(second ?? '')).toEqual({
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as string,
      level: 'Error',
      message: 'Recovery: node n1 stopped; the task failed.',
    });
    expect(rest).toEqual(['']);
    expect(warnings).toEqual([]);
  });

  it('cuts the record the dead owner left torn before appending its own', async () => {
    const whole = '{"timestamp":"2030-01-01T00:00:00.000Z","level":"Info","message":"Step Run completed"}\n';
    writeFileSync(logOf('t7'), `${whole}{"timestamp":"2030-01-01T00:00:01.000Z","level":"Info","mess`);

    await new RecoveryTaskLog({ sharedStorage: root }).append('t7', 'Error', 'Recovery: node n1 stopped.');

    const [first, second, ...rest] = readFileSync(logOf('t7'), 'utf8').split('\n');
    expect(`${first}\n`).toBe(whole);
    expect(JSON.parse(second ?? '')).toMatchObject({ level: 'Error', message: 'Recovery: node n1 stopped.' });
    expect(rest).toEqual(['']);
  });

  it('starts the log of a task that never wrote one', async () => {
    await new RecoveryTaskLog({ sharedStorage: root }).append('t2', 'Warning', 'Recovery: re-queued');

    expect(readFileSync(logOf('t2'), 'utf8')).toMatch(
      /^\{"timestamp":"[^"]+","level":"Warning","message":"Recovery: re-queued"\}\n$/,
    );
  });

  it('warns and resolves when the log cannot be written', async () => {
    const sut = new RecoveryTaskLog({ sharedStorage: join(root, 'not-mounted') });

    await expect(sut.append('t3', 'Error', 'Recovery: x')).resolves.toBeUndefined();

    expect(warnings).toEqual([
      expect.stringMatching(/^Task t3: could not append the recovery record to its log \(ENOENT\): /),
    ]);
  });

  it('goes on without the record when the share hangs', async () => {
    // A FIFO whose pipe buffer is full and that nobody reads: the append's write blocks, as a write
    // to a hung network share does.
    execFileSync('mkfifo', [logOf('t4')]);
    const filler = openSync(logOf('t4'), 'r+');
    writeSync(filler, Buffer.alloc(PIPE_CAPACITY, 0x41));
    const sut = new RecoveryTaskLog({ sharedStorage: root }, 200);
    const startedAt = Date.now();

    await sut.append('t4', 'Error', 'Recovery: x');

    expect(Date.now() - startedAt).toBeLessThan(2000);
    // While that append hangs, the next one does not start (nor wait out its own timeout).
    const nextStartedAt = Date.now();
    await sut.append('t5', 'Error', 'Recovery: y');
    expect(Date.now() - nextStartedAt).toBeLessThan(100);
    expect(warnings).toEqual([
      'Task t4: appending the recovery record to its log took over 200 ms; going on without it',
      expect.stringMatching(
        /^Task t5: recovery record not appended: an append to shared storage has hung since /,
      ),
    ]);
    // Drain the pipe: the record then lands, late, and nothing stays stuck.
    const reader = await open(logOf('t4'), 'r');
    closeSync(filler);
    const late = await reader.readFile('utf8');
    await reader.close();
    expect(late).toMatch(/"message":"Recovery: x"\}\n$/);
    await new Promise((resolve) => setImmediate(resolve));
    await sut.append('t6', 'Error', 'Recovery: z');
    expect(readFileSync(logOf('t6'), 'utf8')).toMatch(/"message":"Recovery: z"\}\n$/);
  });
});
