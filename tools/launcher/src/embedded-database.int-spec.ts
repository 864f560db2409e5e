import { ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

import { Client } from 'pg';

import { freePort } from '@flotilla/testing';

import { LEGACY_EMBEDDED_PASSWORD, readEmbeddedDatabasePassword } from './embedded-database-credentials';
import { EMBEDDED_CREDENTIALS_FILE } from './embedded-database';

/** initdb and a PostgreSQL start take seconds each, more on a loaded 2-core machine. */
const POSTGRES_MS = 180_000;
const repoRoot = resolve(__dirname, '..', '..', '..');

/** Whether the embedded server lets `flotilla` in with this password; rejects on anything but a wrong password. */
async function accepts(port: number, password: string): Promise<boolean> {
  const client = new Client({ host: '127.0.0.1', port, user: 'flotilla', password, database: 'flotilla' });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '28P01') return false;
    throw error;
  }
}

async function selectAll(url: string, sql: string): Promise<unknown[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** A data folder like `npm start` makes: reachable (0711) by the postgres user that owns pgdata/. */
async function dataFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'flotilla-embedded-pg-'));
  await chmod(folder, 0o711);
  return folder;
}

/** Runs testing/embedded-database-child.ts; resolves with its first line of output and the child. */
function child(
  mode: 'start' | 'legacy',
  dataRoot: string,
  port: number,
): Promise<{ line: string; process: ChildProcess }> {
  const entry = join(__dirname, 'testing', 'embedded-database-child.ts');
  const started = spawn(process.execPath, ['-r', '@swc-node/register', entry, mode, dataRoot, String(port)], {
    cwd: repoRoot,
    env: { ...process.env, SWC_NODE_PROJECT: join(repoRoot, 'tsconfig.base.json') },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  started.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolveLine, rejectLine) => {
    // The launcher's own notes come first; the child's answer is the READY or DONE line.
    createInterface({ input: started.stdout }).on('line', (line) => {
      if (/^(READY|DONE)\b/.test(line)) resolveLine({ line, process: started });
      else output += `${line}\n`;
    });
    started.once('exit', (code) =>
      rejectLine(new Error(`the ${mode} child exited (${code}) before its answer:\n${output}`)),
    );
  });
}

/** The launcher's embedded database, started in a child; `stop` ends it and waits for its exit. */
async function startLauncherDatabase(
  dataRoot: string,
  port: number,
): Promise<{ url: string; stop(): Promise<void> }> {
  const { line, process: running } = await child('start', dataRoot, port);
  const url = /^READY (.+)$/.exec(line)?.[1];
  if (!url) throw new Error(`unexpected output: ${line}`);
  return {
    url,
    stop: async () => {
      if (running.exitCode !== null) return;
      const exited = new Promise((done) => running.once('exit', done));
      running.stdin?.end();
      await exited;
    },
  };
}

describe('the embedded PostgreSQL credentials', () => {
  const folders: string[] = [];
  afterAll(async () => {
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it(
    'are random at first start, kept 0600, used by the URL, the same on the next start; the old fixed password is refused',
    async () => {
      const dataRoot = await dataFolder();
      folders.push(dataRoot);
      const port = await freePort();
      const credentials = join(dataRoot, EMBEDDED_CREDENTIALS_FILE);

      const first = await startLauncherDatabase(dataRoot, port);
      let password: string | undefined;
      try {
        password = await readEmbeddedDatabasePassword(credentials);
        expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect((await stat(credentials)).mode & 0o777).toBe(0o600);
        expect(new URL(first.url).password).toBe(password);
        await expect(selectAll(first.url, 'SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
        await expect(accepts(port, LEGACY_EMBEDDED_PASSWORD)).resolves.toBe(false);
      } finally {
        await first.stop();
      }

      const again = await startLauncherDatabase(dataRoot, port);
      try {
        expect(again.url).toBe(first.url);
        await expect(readEmbeddedDatabasePassword(credentials)).resolves.toBe(password);
        await expect(selectAll(again.url, 'SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
      } finally {
        await again.stop();
      }
    },
    POSTGRES_MS,
  );

  it(
    'take over a data folder made with the old fixed password: its data stays, the role gets a random password, kept 0600',
    async () => {
      const dataRoot = await dataFolder();
      folders.push(dataRoot);
      const port = await freePort();
      const legacy = await child('legacy', dataRoot, port);
      expect(legacy.line).toBe('DONE');

      const taken = await startLauncherDatabase(dataRoot, port);
      try {
        const credentials = join(dataRoot, EMBEDDED_CREDENTIALS_FILE);
        const password = await readEmbeddedDatabasePassword(credentials);
        expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect((await stat(credentials)).mode & 0o777).toBe(0o600);
        expect(new URL(taken.url).password).toBe(password);
        await expect(accepts(port, LEGACY_EMBEDDED_PASSWORD)).resolves.toBe(false);
        await expect(selectAll(taken.url, 'SELECT v FROM kept')).resolves.toEqual([{ v: 'from before' }]);
      } finally {
        await taken.stop();
      }
    },
    POSTGRES_MS,
  );
});
