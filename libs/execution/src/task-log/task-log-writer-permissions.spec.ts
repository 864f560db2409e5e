import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { TaskLogWriter } from './task-log-writer';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('TaskLogWriter file permissions', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'flotilla-log-modes-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates the log 0600 in a 0700 folder: no other user (a script) can read a task log', async () => {
    const path = join(root, 'TaskLogs', 'task-1.log');
    const log = await TaskLogWriter.open(path);
    log.info('line');
    await log.close();
    expect(mode(path)).toBe(0o600);
    expect(mode(join(root, 'TaskLogs'))).toBe(0o700);
  });

  it('closes a log and folder an older version left readable to others', async () => {
    const folder = join(root, 'TaskLogs');
    mkdirSync(folder);
    chmodSync(folder, 0o755);
    const path = join(folder, 'task-2.log');
    writeFileSync(path, '', { mode: 0o644 });
    chmodSync(path, 0o644);
    const log = await TaskLogWriter.open(path);
    await log.close();
    expect(mode(path)).toBe(0o600);
    expect(mode(folder)).toBe(0o700);
  });
});
